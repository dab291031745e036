import Foundation
import Gradus
import Testing

/// GradusError and the scoped mode: a failing operation inside `GradusError.catching` is recorded and
/// thrown instead of stopping the process.
@Suite("Errors a caller can catch")
struct ErrorScopeTests {
    @Test("a shape mismatch is thrown with its op, kind and message")
    func shapeMismatch() {
        let a = Tensor.zeros([2, 3]), b = Tensor.zeros([4, 5])
        #expect {
            _ = try GradusError.catching { a.matmul(b) }
        } throws: { error in
            guard let e = error as? GradusError else { return false }
            return e.op == "matmul" && e.kind == .shapeMismatch && e.message.contains("[2, 3]") && e.message.contains("[4, 5]")
        }
    }

    @Test("the first error wins; later operations return placeholders without computing")
    func firstErrorWins() throws {
        var reached = false
        do {
            _ = try GradusError.catching { () -> Tensor in
                let bad = Tensor.zeros([2]) + Tensor.zeros([3])           // fails: broadcast
                let worse = bad.reshape([7, 7]).softmax(axis: 5)            // would fail too, but is skipped
                reached = true
                #expect(bad.shape == [0] && worse.shape == [0])
                return worse
            }
            Issue.record("the scope did not throw")
        } catch let e as GradusError {
            #expect(e.op == "add" && e.kind == .shapeMismatch)
        }
        #expect(reached)
        // Outside the scope everything works as before.
        #expect((Tensor([1, 2]) + Tensor([3, 4])).scalars() == [4, 6])
    }

    @Test("throwIfRecorded stops a scope early, before code reads a placeholder's shape")
    func throwIfRecordedStopsEarly() {
        var afterCheck = false
        #expect(throws: GradusError.self) {
            _ = try GradusError.catching { () -> Int in
                let h = Tensor.zeros([2, 3]).select(axis: 0, index: 5)   // index out of range
                try GradusError.throwIfRecorded()
                afterCheck = true
                return h.shape[1]
            }
        }
        #expect(!afterCheck)
    }

    @Test("kinds: index out of range, dtype mismatch, autograd")
    func kinds() {
        func kind(_ body: () -> Tensor) -> GradusError.Kind? {
            do { _ = try GradusError.catching(body); return nil } catch { return (error as? GradusError)?.kind }
        }
        #expect(kind { Tensor.zeros([3, 4]).gather(axis: 1, index: Tensor(shape: [3, 1], integers: [0, 4, 1])) } == .indexOutOfRange)
        #expect(kind { Tensor.zeros([3, 4]).indexSelect(axis: 0, index: Tensor(labels: [-1])) } == .indexOutOfRange)
        #expect(kind { Tensor(labels: [1, 2]).softmax(axis: 0) } == .dtypeMismatch)   // softmax needs floats (exp of int64 gives float32)
        #expect(kind { Tensor.zeros([2, 3]).crossEntropy(Tensor(labels: [0, 3])) } == .indexOutOfRange)
        let x = Tensor([1.0, 2.0]).requiringGrad()
        let y = (x * x).sum()
        y.backward()
        #expect(kind { y.backward(); return y } == .autograd)   // the graph was freed by the first pass
    }

    @Test("a failed operation leaves its inputs untouched (indices are checked before the kernel writes)")
    func noPartialWrites() {
        let base = Tensor([[1, 2, 3], [4, 5, 6]])
        let index = Tensor(shape: [2, 2], integers: [0, 1, 2, 7])
        #expect(throws: GradusError.self) {
            _ = try GradusError.catching { base.scatterAdd(axis: 1, index: index, source: Tensor.ones([2, 2])) }
        }
        #expect(base.scalars() == [1, 2, 3, 4, 5, 6])
    }

    @Test("scopes nest: an inner failure is the inner scope's; the outer one goes on")
    func nesting() throws {
        let value = try GradusError.catching { () -> [Float] in
            let inner = try? GradusError.catching { Tensor.zeros([2]) + Tensor.zeros([3]) }
            #expect(inner == nil)
            return (Tensor([1, 2]) * 2).scalars()
        }
        #expect(value == [2, 4])
    }

    @Test("a failed scope on one thread does not disturb operations on another")
    func threadsAreIndependent() async {
        await withTaskGroup(of: Bool.self) { group in
            for t in 0..<8 {
                group.addTask {
                    if t % 2 == 0 {
                        return (try? GradusError.catching { Tensor.zeros([2]) + Tensor.zeros([3]) }) == nil
                    }
                    var ok = true
                    for i in 0..<200 { ok = ok && (Tensor([Double(i)]) + 1).scalars() == [Float(i + 1)] }
                    return ok
                }
            }
            for await ok in group { #expect(ok) }
        }
    }

    @Test("validating initializers throw where the plain ones stop")
    func validatingInitializers() throws {
        #expect(throws: GradusError.self) { _ = try Tensor(validatingShape: [2, 3], values: [1.0, 2.0]) }
        #expect(throws: GradusError.self) { _ = try Tensor(validatingShape: [-1], values: [Double]()) }
        #expect(throws: GradusError.self) { _ = try Tensor(validatingShape: [Int.max, 2], integers: []) }
        let t = try Tensor(validatingShape: [2, 1], values: [1.5, 2.5])
        #expect(t.shape == [2, 1] && t.scalars() == [1.5, 2.5])
    }

    @Test("datasets with a declared class count check their labels")
    func datasetLabels() throws {
        let x = Tensor.zeros([3, 2])
        #expect {
            _ = try TensorDataset(x, labels: Tensor(labels: [0, 10, 1]), classCount: 10)
        } throws: { ($0 as? GradusError)?.kind == .indexOutOfRange && "\($0)".contains("label 10 of sample 1") }
        #expect(throws: GradusError.self) { _ = try TensorDataset(x, labels: Tensor(labels: [0, -100, 1]), classCount: 10) }
        #expect(throws: GradusError.self) { _ = try TensorDataset(x, labels: Tensor(labels: [0, 1]), classCount: 10) }
        #expect(try TensorDataset(x, labels: Tensor(labels: [0, 9, 1]), classCount: 10).count == 3)
    }
}
