import CBLAS
import Foundation

/// Which OpenBLAS kernel runs Gradus's matrix products, and how to choose a better one.
///
/// OpenBLAS picks its kernels when the library loads, from the processor's model. On virtual machines
/// that report a generic model name it can fall back to `Prescott`, a 2004 SSE3 kernel that runs sgemm at
/// a third of the speed of its AVX2 `Haswell` kernel (measured here: 30 against 100 GFLOP/s on one
/// core). The choice can only be made before OpenBLAS loads, through the `OPENBLAS_CORETYPE`
/// environment variable, so a program that wants the fast kernel restarts itself once with it set:
/// see ``relaunchWithFasterKernelIfNeeded()``.
///
/// ```swift
/// BLASKernel.relaunchWithFasterKernelIfNeeded()   // first line of main.swift
/// print(BLASKernel.coreName)                      // "Haswell"
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

    /// The kernel to ask for, when OpenBLAS chose a slow one on a processor that has AVX2 and FMA
    /// (read from /proc/cpuinfo); nil when the current choice is fine or cannot be improved.
    public static var recommendedCoreType: String? {
        guard slowKernels.contains(coreName) else { return nil }
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        return flags.contains("avx2") && flags.contains("fma") ? "Haswell" : nil
    }

    /// Restarts the current program with `OPENBLAS_CORETYPE` set to ``recommendedCoreType`` when
    /// OpenBLAS chose a slow kernel and the variable is not already set; returns otherwise. Call it
    /// first thing in `main`, before any work: the process is replaced, keeping its arguments.
    public static func relaunchWithFasterKernelIfNeeded() {
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, env["GRADUS_NO_RELAUNCH"] == nil,
              let core = recommendedCoreType else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("GRADUS_NO_RELAUNCH", "1", 1)
        var argv: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", argv)
        // execv returns only on failure: carry on with the slow kernel.
    }
}
