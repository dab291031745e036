import Gradus
import Testing

/// Programmer errors on shapes stop with a message naming the operation and the shapes.
@Suite("Shape errors")
struct ShapeErrorTests {
    /// Checks the message in debug builds; optimized builds drop `precondition` messages, so there
    /// only the stop itself is checked.
    func expectMessage(_ result: ExitTest.Result?, _ text: String) {
        #if DEBUG
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains(text), "stderr: \(message)")
        #endif
    }

    @Test func linearAndConvolution() async {
        expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Linear(5, 3)(Tensor.zeros([2, 4]))
        }, "linear: input shape [2, 4] does not match weight shape [3, 5]")
        expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d(3, 4, kernelSize: 3)(Tensor.zeros([1, 2, 8, 8]))
        }, "conv2d: input [1, 2, 8, 8] and weight [4, 3, 3, 3] do not match")
        expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d(3, 4, kernelSize: 3, stride: 2, padding: .same)
        }, "Conv2d: padding same needs stride 1, got stride (2, 2)")
    }

    @Test func poolingAndNormalization() async {
        expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = MaxPool2d(5)(Tensor.zeros([1, 1, 3, 3]))
        }, "maxPool2d: kernel (5, 5) does not fit input [1, 1, 3, 3]")
        expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = BatchNorm2d(3)(Tensor.zeros([2, 3]))
        }, "BatchNorm2d: expected input of rank 4 with 3 channels, got [2, 3]")
        expectMessage(await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LayerNorm(4)(Tensor.zeros([2, 3]))
        }, "layerNorm: input shape [2, 3] does not end with normalized shape [4]")
    }
}
