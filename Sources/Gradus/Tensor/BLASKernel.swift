import CBLAS
import Foundation

/// Which OpenBLAS kernel runs Gradus's matrix products, and how to choose a better one.
///
/// OpenBLAS picks its kernels when the library loads, from the processor's model. On virtual machines
/// that report a generic model name it can fall back to `Prescott`, a 2004 SSE3 kernel that runs sgemm at
/// a fifth of the speed of its AVX-512 `SkylakeX` kernel (measured on this project's machine, one
/// core: sgemm 1024 at 30 GFLOP/s with Prescott, 67 with Haswell, 143 with SkylakeX). The choice can only be made before OpenBLAS loads, through the `OPENBLAS_CORETYPE`
/// environment variable, so a program that wants the fast kernel restarts itself once with it set:
/// see ``relaunchWithFasterKernelIfNeeded()``.
///
/// ```swift
/// BLASKernel.relaunchWithFasterKernelIfNeeded()   // first line of main.swift
/// print(BLASKernel.coreName)                      // "SkylakeX"
/// ```
public enum BLASKernel {
    /// The kernel family OpenBLAS is using ("Haswell", "SkylakeX", "Prescott", ...).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Kernels that use neither AVX2 nor FMA.
    static let slowKernels: Set<String> = [
        "Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai", "Coppermine",
        "Northwood", "Banias", "Athlon", "Opteron", "Opteron(SSE3)", "Barcelona", "Nano", "Sandybridge",
        "Bobcat", "Bulldozer", "Piledriver", "Steamroller", "Excavator", "unknown",
    ]

    /// The kernel to ask for, when OpenBLAS chose one without AVX2 on a processor that has AVX-512
    /// (`SkylakeX`) or AVX2 and FMA (`Haswell`), read from /proc/cpuinfo; nil when the current choice
    /// is fine or cannot be improved. A choice OpenBLAS made itself among modern kernels is kept.
    public static var recommendedCoreType: String? {
        guard slowKernels.contains(coreName) else { return nil }
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) { return "SkylakeX" }
        return flags.contains("avx2") && flags.contains("fma") ? "Haswell" : nil
    }

    /// Restarts the current program with `OPENBLAS_CORETYPE` set to ``recommendedCoreType`` when
    /// OpenBLAS chose a slow kernel and the variable is not already set; returns otherwise. Call it
    /// first thing in `main`, before any work: the process is replaced, keeping its arguments. The
    /// restarted process also gets `OPENBLAS_NUM_THREADS=1` unless that is set, since Gradus keeps
    /// OpenBLAS on one thread and splits work over its own threads.
    public static func relaunchWithFasterKernelIfNeeded() {
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, env["GRADUS_NO_RELAUNCH"] == nil,
              let core = recommendedCoreType else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        // Gradus runs OpenBLAS single-threaded (see Threading): without this, OpenBLAS starts its own
        // thread pool at load time, whose idle threads spin against Gradus's for their first 0.1 s.
        setenv("OPENBLAS_NUM_THREADS", "1", 0)
        setenv("GRADUS_NO_RELAUNCH", "1", 1)
        var argv: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", argv)
        // execv returns only on failure: carry on with the slow kernel.
    }
}
