import Gradus

// The seed problem of deep learning: learn y = 2x + 1 with one Linear(1, 1), mean squared error and
// SGD (lr 0.01, 1000 steps), written twice: in PyTorch's style and in the gradient-tape style.

var rng = SeededGenerator(seed: 0)
let x = Tensor.normal([100, 1], generator: &rng)
let y = x * 2 + 1

// 1. PyTorch style: the model owns its parameters; backward() fills their gradients; the optimizer
//    reads them.
let model = Linear(1, 1, generator: &rng)
let optimizer = SGD(model.parameters(), lr: 0.01)
let criterion = MSELoss()
for step in 1...1000 {
    optimizer.zeroGrad()
    let loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    if step % 250 == 0 { print("pytorch style  step \(step)  loss \(loss.item())") }
}
print("pytorch style: weight \(model.weight.item()), bias \(model.bias!.item())")

// 2. Gradient-tape style: the loss is a closure of the parameters; its value and gradients come back
//    as values, and the update is plain arithmetic.
var w = Tensor([[0.0]]), b = Tensor([0.0])
for step in 1...1000 {
    let (loss, grads) = Autograd.valueWithGradient(at: [w, b]) { p in
        (Tensor.linear(x, weight: p[0], bias: p[1]) - y).square().mean()
    }
    w = w - grads[0] * 0.01
    b = b - grads[1] * 0.01
    if step % 250 == 0 { print("tape style     step \(step)  loss \(loss.item())") }
}
print("tape style:    weight \(w.item()), bias \(b.item())")
