import Gradus
import Testing

/// Scoped access to tensor memory.
@Suite("Scoped memory access")
struct UnsafeAccessTests {
    private func kind(_ body: () throws -> Void) -> GradusError.Kind? {
        do { try body(); return nil } catch { return (error as? GradusError)?.kind }
    }

    @Test("reads see row-major elements (views included); writes count a version; wrong uses are refused")
    func scopedAccess() throws {
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        #expect(try x.withUnsafeBufferPointer(as: Float.self) { Array($0) } == [1, 2, 3, 4, 5, 6])
        #expect(try x.t.withUnsafeBufferPointer(as: Float.self) { Array($0) } == [1, 4, 2, 5, 3, 6])
        let v0 = x.version
        try x.withUnsafeMutableBufferPointer(as: Float.self) { $0[0] = 10 }
        #expect(x.scalars()[0] == 10 && x.version == v0 + 1)
        #expect(kind { _ = try x.withUnsafeBufferPointer(as: Double.self) { $0.count } } == .dtypeMismatch)
        #expect(kind { try x.t.withUnsafeMutableBufferPointer(as: Float.self) { $0[0] = 0 } } == .invalidArgument)
        let w = Tensor([1.0]).requiringGrad()
        #expect(kind { try w.withUnsafeMutableBufferPointer(as: Float.self) { $0[0] = 0 } } == .inPlaceModification)
        try GradMode.noGrad { try w.withUnsafeMutableBufferPointer(as: Float.self) { $0[0] = 3 } }
        #expect(w.scalars() == [3])
        #expect(try Tensor(labels: [4, 5]).withUnsafeBufferPointer(as: Int64.self) { Array($0) } == [4, 5])
    }
}
