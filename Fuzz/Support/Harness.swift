import Gradus

// Shared by every fuzz target (compiled next to each Targets/<name>.swift by scripts/fuzz.sh).

/// The input of one fuzz iteration as a byte array.
func fuzzBytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}

/// Runs `body` on hostile input: a thrown ``DataError`` is the expected outcome for malformed bytes;
/// any other error type is a bug (readers promise `DataError`), reported as a crash. Traps, sanitizer
/// reports and allocations over libFuzzer's `-malloc_limit_mb` are caught by libFuzzer itself.
func expectDataErrorOrSuccess(_ body: () throws -> Void) -> CInt {
    do {
        try body()
    } catch is DataError {
        // Rejected cleanly.
    } catch {
        fatalError("a reader threw \(type(of: error)) instead of DataError: \(error)")
    }
    return 0
}

/// Reads every element of `t`, so that sanitizers see the whole buffer the reader filled.
func touch(_ t: Tensor) {
    var acc = 0.0
    for v in t.scalars(as: Double.self) where !v.isNaN { acc += v }
    fuzzSink = acc
}

nonisolated(unsafe) var fuzzSink = 0.0
