import Foundation

/// `standard`, or the environment's `GRADUS_BENCH_REPS` when set: a profiler needs seconds of the
/// workload where a comparison needs milliseconds (`GRADUS_BENCH_REPS=100000 perf record …`).
func repetitions(_ standard: Int) -> Int {
    Int(ProcessInfo.processInfo.environment["GRADUS_BENCH_REPS"] ?? "") ?? standard
}

/// Seconds per call of `body`: `warm` untimed calls, then the best of three rounds of `reps` calls, as
/// ../shared/bench/pytorch_ref.py measures PyTorch.
func secondsPerCall(warm: Int = 3, reps: Int, _ body: () -> Void) -> Double {
    for _ in 0..<warm { body() }
    var best = Double.infinity
    for _ in 0..<3 {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<reps { body() }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        best = min(best, elapsed / Double(reps))
    }
    return best
}

/// One benchmark: its name (as in pytorch_ref.py where it mirrors one), and a function returning the
/// figure and its unit.
struct Workload: Sendable {
    let name: String
    let run: @Sendable () -> (Double, String)
}
