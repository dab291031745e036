import Foundation
import Gradus
import GradusDistributed

// gradus-bench [--threads N] [WORKLOAD ...]
// Prints one line per workload, `NAME VALUE UNIT threads=N`, in the format of
// ../shared/bench/pytorch_ref.py, whose workloads it mirrors by name.

BLASKernel.relaunchWithFasterKernelIfNeeded()
var threads = 1
var only: [String] = []
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    if a == "--threads", let v = args.popFirst(), let n = Int(v), n > 0 {
        threads = n
    } else if a == "--bucket-mb", let v = args.popFirst(), let mb = Double(v), mb > 0 {
        DistributedWorkloads.bucketMB = mb
    } else if a == "--help" || a == "-h" {
        print("usage: gradus-bench [--threads N] [WORKLOAD ...]")
        print("workloads: " + allWorkloads.map(\.name).joined(separator: " "))
        exit(0)
    } else if a.hasPrefix("-") {
        FileHandle.standardError.write("gradus-bench: unknown option \(a)\n".data(using: .utf8)!)
        exit(2)
    } else {
        only.append(a)
    }
}
// Under mpirun: the data-parallel workloads (DistributedWorkloads.swift), one thread per process.
if ProcessGroup.isLaunchedByMPI {
    Threading.count = threads
    do {
        let group = try ProcessGroup.initialize()
        try DistributedWorkloads.run(only, group: group)
        try group.finalize()
    } catch {
        FileHandle.standardError.write("gradus-bench: \(error)\n".data(using: .utf8)!)
        exit(1)
    }
    exit(0)
}
let known = Set(allWorkloads.map(\.name))
for name in only where !known.contains(name) {
    FileHandle.standardError.write("gradus-bench: unknown workload \(name); known: \(known.sorted().joined(separator: " "))\n".data(using: .utf8)!)
    exit(2)
}
Threading.count = threads
FileHandle.standardError.write("# gradus-bench: products on \(MatrixProductBackend.active) (OpenBLAS kernel \(BLASKernel.coreName)), threads \(threads)\n".data(using: .utf8)!)
for w in allWorkloads where only.isEmpty || only.contains(w.name) {
    let (value, unit) = w.run()
    print("\(w.name) \(String(format: "%.1f", value)) \(unit) threads=\(threads)")
    FileHandle.standardOutput.synchronizeFile()
}
