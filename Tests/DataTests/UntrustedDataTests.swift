import Foundation
import Gradus
import Testing

/// Data that does not fit together or decodes past the memory budget: errors a caller catches, on the
/// caller's thread, even when the batch was prepared on a background thread.
@Suite("Untrusted data: ragged batches, decoded sizes")
struct UntrustedDataTests {
    /// Samples 0, 1 and 2 are `[2]`, sample 3 is `[3]`: the first batch of two collates, the second does not.
    struct RaggedDataset: Dataset {
        var count: Int { 4 }
        func sample(at index: Int) -> (input: Tensor, target: Tensor) {
            (Tensor.ones([index < 3 ? 2 : 3]), Tensor(scalar: Double(index % 2), dtype: .int64))
        }
    }

    @Test("a batch that fails on the prefetching thread is an error of the caller's scope")
    func raggedPrefetchedBatch() {
        for prefetch in [true, false] {
            var seen = 0
            #expect(throws: GradusError.self) {
                try GradusError.catching {
                    for batch in DataLoader(RaggedDataset(), batchSize: 2, prefetch: prefetch) {
                        _ = batch.inputs.sum()
                        seen += 1
                    }
                }
            }
            #expect(seen == 2)   // the loop runs to its end with a placeholder for the failed batch
        }
        // The loader is usable afterwards on data that fits.
        let fine = TensorDataset(Tensor.ones([4, 2]), Tensor(labels: [0, 1, 0, 1]))
        #expect(DataLoader(fine, batchSize: 2).map { $0.inputs.shape } == [[2, 2], [2, 2]])
    }

    @Test("Trainer.trainEpoch throws for a batch whose samples do not collate")
    func raggedTrainingEpoch() {
        let model = Linear(2, 2)
        let trainer = Trainer(model: model, optimizer: SGD(model.parameters(), lr: 0.1))
        #expect(throws: GradusError.self) { try trainer.trainEpoch(RaggedDataset(), batchSize: 2) }
        #expect(throws: GradusError.self) { try trainer.trainEpoch(RaggedDataset(), batchSize: 1) }
    }

    /// An NPY file (version 1.0) with the given header dictionary and data bytes.
    func npy(_ dict: String, _ data: [UInt8]) -> [UInt8] {
        var header = Array(dict.utf8)
        while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0A)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + header + data
    }

    @Test("an NPY shape whose other dimensions overflow is refused even with a zero dimension")
    func npyZeroDimensionOverflow() {
        for order in ["False", "True"] {
            let bytes = npy("{'descr': '<f4', 'fortran_order': \(order), 'shape': (0, 1099511627776, 1099511627776), }", [])
            #expect(throws: DataError.self) { try NPYReader.decode(bytes, file: "huge.npy") }
        }
        let empty = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }", [])
        #expect((try? NPYReader.decode(empty, file: "empty.npy"))?.shape == [0, 5])
    }

    @Test("small integers decoded to int64 must fit the memory budget")
    func decodedSizeWithinBudget() throws {
        let count = 300_000   // 300 KB of u1 in the file, 2.4 MB as int64
        let bytes = npy("{'descr': '|u1', 'fortran_order': False, 'shape': (\(count),), }", [UInt8](repeating: 7, count: count))
        #expect(throws: DataError.self) {
            try MemoryBudget.withBudget(2 << 20) { try NPYReader.decode(bytes, file: "labels.npy") }
        }
        let t = try MemoryBudget.withBudget(4 << 20) { try NPYReader.decode(bytes, file: "labels.npy") }
        #expect(t.dtype == .int64 && t.count == count)

        // IDX: unsigned bytes read as int64.
        var idx: [UInt8] = [0, 0, 0x08, 1]
        idx += [UInt8(count >> 24 & 0xFF), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
        idx += [UInt8](repeating: 3, count: count)
        #expect(throws: DataError.self) {
            try MemoryBudget.withBudget(2 << 20) { try IDXReader.decode(idx, file: "labels.idx", dtype: .int64) }
        }
        #expect(try MemoryBudget.withBudget(4 << 20) { try IDXReader.decode(idx, file: "labels.idx", dtype: .int64) }.count == count)

        // safetensors: U8 tensors become int64.
        var header = Array("{\"u\":{\"dtype\":\"U8\",\"shape\":[\(count)],\"data_offsets\":[0,\(count)]}}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var file = (0..<8).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) } + header
        file += [UInt8](repeating: 1, count: count)
        #expect(throws: DataError.self) {
            try MemoryBudget.withBudget(2 << 20) { try SafeTensors.decode(file, file: "u8.safetensors") }
        }
        #expect(try MemoryBudget.withBudget(4 << 20) { try SafeTensors.decode(file, file: "u8.safetensors") }.tensors["u"]?.count == count)
    }
}
