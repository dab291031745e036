#!/usr/bin/env python3
"""PyTorch's side of Gradus's benchmarks that ../shared/bench/pytorch_ref.py does not have: tensor-level
micro-benchmarks (FoundationWorkloads.swift), sequence models (SequenceWorkloads.swift) and the 32x32
image CNN (TrainingWorkloads.swift's cnn_c3_b64 and cnn_infer_b1), printing the same
`NAME VALUE UNIT threads=N` lines.

    /tmp/torchenv/bin/python scripts/pytorch_micro.py --threads 1 [relu_16m axpb_16m small_op_fwd small_op_fwdbwd]
"""
import argparse, time, torch

def timeit(fn, warm=3, reps=10):
    for _ in range(warm): fn()
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(reps): fn()
        best = min(best, (time.perf_counter() - t) / reps)
    return best

N = 16 * 1024 * 1024

def relu():
    x = torch.randn(N)
    return 2 * 4 * N / timeit(lambda: torch.relu(x)) / 1e9, "GB/s"

def axpb():
    x = torch.randn(N)
    return 2 * 4 * N / timeit(lambda: x * 1.5 + 0.5) / 1e9, "GB/s"

def small_fwd():
    x = torch.tensor([0.5], requires_grad=True)
    return timeit(lambda: x * x, reps=100000) * 1e6, "us/op"

def small_fwdbwd():
    x = torch.tensor([0.5], requires_grad=True)
    def f():
        (x * x).backward(); x.grad = None
    return timeit(f, reps=100000) * 1e6, "us/op"

def recurrent_train(layer, batch=32, steps=35):
    """A 1-layer `layer`(64, 128) (nn.LSTM, nn.GRU or nn.RNN with tanh) over 35 steps, a linear head on
    the last output, cross-entropy, SGD."""
    torch.manual_seed(0)
    rnn, head = layer(64, 128), torch.nn.Linear(128, 10)
    opt = torch.optim.SGD(list(rnn.parameters()) + list(head.parameters()), lr=0.05, momentum=0.9)
    x = torch.randn(steps, batch, 64); y = torch.randint(0, 10, (batch,))
    def step():
        opt.zero_grad(); out, _ = rnn(x)
        loss = torch.nn.functional.cross_entropy(head(out[-1]), y); loss.backward(); opt.step()
    return batch / timeit(step, reps=20), "samples/s"

def transformer_train(batch=32, length=35):
    """One TransformerEncoderLayer(64, 4 heads, 256, dropout 0, batch first), mean over positions, a
    linear head, cross-entropy, SGD."""
    torch.manual_seed(0)
    block = torch.nn.TransformerEncoderLayer(64, 4, 256, dropout=0.0, batch_first=True)
    head = torch.nn.Linear(64, 10)
    opt = torch.optim.SGD(list(block.parameters()) + list(head.parameters()), lr=0.05, momentum=0.9)
    x = torch.randn(batch, length, 64); y = torch.randint(0, 10, (batch,))
    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(head(block(x).mean(dim=1)), y); loss.backward(); opt.step()
    return batch / timeit(step, reps=20), "samples/s"

def recurrent_generate(cell, vocab=75, width=64, hidden=128, layers=2, new=127):
    """Greedy generation of 127 tokens after a 1-token prompt with the default `gradus train --task
    language-model --model lstm|gru` model (embedding 64, two recurrent layers of 128, linear head),
    carrying the recurrent state from token to token."""
    torch.manual_seed(0)
    emb = torch.nn.Embedding(vocab, width)
    rnn = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(width, hidden, layers, batch_first=True)
    head = torch.nn.Linear(hidden, vocab)
    def generate():
        with torch.inference_mode():
            token, state = torch.tensor([[0]]), None
            for _ in range(new):
                out, state = rnn(emb(token), state)
                token = head(out[:, -1]).argmax(dim=-1, keepdim=True)
    return new / timeit(generate, warm=1, reps=5), "tokens/s"

def transformer_long(batch=32, length=128):
    """One TransformerEncoderLayer(128, 4 heads, 512, dropout 0, batch first) on [32, 128, 128], mean
    over positions, a linear head, cross-entropy, SGD."""
    torch.manual_seed(0)
    block = torch.nn.TransformerEncoderLayer(128, 4, 512, dropout=0.0, batch_first=True)
    head = torch.nn.Linear(128, 10)
    opt = torch.optim.SGD(list(block.parameters()) + list(head.parameters()), lr=0.05, momentum=0.9)
    x = torch.randn(batch, length, 128); y = torch.randint(0, 10, (batch,))
    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(head(block(x).mean(dim=1)), y); loss.backward(); opt.step()
    return batch / timeit(step, reps=5), "samples/s"

def transformer_deep(checkpointing=False, batch=16, length=256):
    """Six TransformerEncoderLayer(128, 4 heads, 512, dropout 0.1, batch first) blocks on [16, 256, 128],
    mean over positions, a linear head, cross-entropy, SGD; with checkpointing, each block runs under
    torch.utils.checkpoint (non-reentrant), as Gradus's Checkpointed."""
    from torch.utils.checkpoint import checkpoint
    torch.manual_seed(0)
    blocks = torch.nn.ModuleList([torch.nn.TransformerEncoderLayer(128, 4, 512, dropout=0.1, batch_first=True)
                                  for _ in range(6)])
    head = torch.nn.Linear(128, 10)
    opt = torch.optim.SGD(list(blocks.parameters()) + list(head.parameters()), lr=0.05, momentum=0.9)
    x = torch.randn(batch, length, 128); y = torch.randint(0, 10, (batch,))
    def step():
        opt.zero_grad()
        h = x
        for b in blocks:
            h = checkpoint(b, h, use_reentrant=False) if checkpointing else b(h)
        loss = torch.nn.functional.cross_entropy(head(h.mean(dim=1)), y); loss.backward(); opt.step()
    return batch / timeit(step, warm=1, reps=2), "samples/s"

def grid_sample_b8():
    """Bilinear F.grid_sample of [8, 16, 64, 64] images at an affine grid (zeros padding), forward and
    backward to the images and the affine parameters."""
    import torch.nn.functional as F
    torch.manual_seed(0)
    images = torch.randn(8, 16, 64, 64, requires_grad=True)
    theta = (torch.tensor([[[0.9, 0.1, 0.05], [-0.1, 0.9, 0.0]]]).expand(8, 2, 3) + 0.05 * torch.randn(8, 2, 3)).requires_grad_()
    def step():
        grid = F.affine_grid(theta, [8, 16, 64, 64], align_corners=False)
        F.grid_sample(images, grid, align_corners=False).sum().backward()
        images.grad = None; theta.grad = None
    return timeit(step, reps=5) * 1e6, "us/step"

def block_step(block, shape, upstream_shape):
    """One forward and backward pass of `block` in training mode on a random input of `shape` with a
    fixed upstream gradient, to the input and the block's parameters (us per step, 30 steps)."""
    torch.manual_seed(0)
    x = torch.randn(*shape, requires_grad=True)
    upstream = torch.randn(*upstream_shape)
    def step():
        block(x).backward(upstream)
        x.grad = None; block.zero_grad()
    return timeit(step, reps=30) * 1e6, "us/step"

def bn_relu_b64():
    """nn.Sequential(BatchNorm2d(128), ReLU()) on [64, 128, 16, 16]."""
    torch.manual_seed(0)
    return block_step(torch.nn.Sequential(torch.nn.BatchNorm2d(128), torch.nn.ReLU()), (64, 128, 16, 16), (64, 128, 16, 16))

def bn_relu_pool_b64():
    """nn.Sequential(BatchNorm2d(32), ReLU(), MaxPool2d(2)) on [64, 32, 32, 32]."""
    torch.manual_seed(0)
    return block_step(torch.nn.Sequential(torch.nn.BatchNorm2d(32), torch.nn.ReLU(), torch.nn.MaxPool2d(2)),
                      (64, 32, 32, 32), (64, 32, 16, 16))

def gpt_generate(vocab=75, context=128, width=128, heads=4, layers=4, new=127):
    """Greedy generation of 127 tokens after a 1-token prompt with the GPT of
    scripts/pytorch_language_model.py (pre-norm nn.TransformerEncoderLayer blocks, tied output), with
    a key/value cache written here in eager PyTorch (nn.TransformerEncoder has none): each step
    projects the new token only and attends over the cached keys and values."""
    import torch.nn.functional as F
    torch.manual_seed(0)
    tok, pos = torch.nn.Embedding(vocab, width), torch.nn.Embedding(context, width)
    blocks = [torch.nn.TransformerEncoderLayer(width, heads, 4 * width, 0.0, activation="gelu", batch_first=True,
                                               norm_first=True).eval() for _ in range(layers)]
    norm = torch.nn.LayerNorm(width)
    d = width // heads
    def step(token, position, caches):
        x = tok(token) + pos(torch.tensor([position]))          # [1, width]
        for b, cache in zip(blocks, caches):
            h = b.norm1(x)
            q, k, v = F.linear(h, b.self_attn.in_proj_weight, b.self_attn.in_proj_bias).chunk(3, dim=-1)
            cache[0].append(k.view(heads, 1, d)); cache[1].append(v.view(heads, 1, d))
            keys, values = torch.cat(cache[0], dim=1), torch.cat(cache[1], dim=1)
            a = F.scaled_dot_product_attention(q.view(heads, 1, d), keys, values).reshape(1, width)
            x = x + b.self_attn.out_proj(a)
            x = x + b.linear2(F.gelu(b.linear1(b.norm2(x))))
        return norm(x) @ tok.weight.T
    def generate():
        with torch.inference_mode():
            caches = [([], []) for _ in blocks]
            token = torch.tensor([0])
            for p in range(new):
                token = step(token, p, caches).argmax(dim=-1)
    return new / timeit(generate, warm=1, reps=5), "tokens/s"

def seq2seq_generate(vocab=75, width=128, heads=4, layers=2, source=64, new=63):
    """Greedy decoding of 63 tokens after a start token by an encoder-decoder's decoder: a 75-token
    embedding, two nn.TransformerDecoderLayer(128, 4 heads, 512, dropout 0, batch first) blocks (post-norm,
    ReLU) attending to a memory of 64 positions, a linear head. nn.TransformerDecoder has no cache, so
    the step is written here in eager PyTorch with the caches a generation loop keeps: each step projects
    the new token only and attends over the cached self-attention keys and values, and each block's
    projection of the memory is made once per sequence."""
    import torch.nn.functional as F
    torch.manual_seed(0)
    emb = torch.nn.Embedding(vocab, width)
    blocks = [torch.nn.TransformerDecoderLayer(width, heads, 4 * width, 0.0, batch_first=True).eval() for _ in range(layers)]
    head = torch.nn.Linear(width, vocab)
    memory = torch.randn(source, width)
    d = width // heads
    def generate():
        with torch.inference_mode():
            caches = []
            for b in blocks:
                w, bias = b.multihead_attn.in_proj_weight, b.multihead_attn.in_proj_bias
                mk = F.linear(memory, w[width:2 * width], bias[width:2 * width]).view(source, heads, d).transpose(0, 1)
                mv = F.linear(memory, w[2 * width:], bias[2 * width:]).view(source, heads, d).transpose(0, 1)
                caches.append(([], [], mk, mv))
            token = torch.tensor([0])
            for _ in range(new):
                x = emb(token)                                                       # [1, width]
                for b, (ks, vs, mk, mv) in zip(blocks, caches):
                    q, k, v = F.linear(x, b.self_attn.in_proj_weight, b.self_attn.in_proj_bias).chunk(3, dim=-1)
                    ks.append(k.view(heads, 1, d)); vs.append(v.view(heads, 1, d))
                    a = F.scaled_dot_product_attention(q.view(heads, 1, d), torch.cat(ks, dim=1), torch.cat(vs, dim=1))
                    x = b.norm1(x + b.self_attn.out_proj(a.reshape(1, width)))
                    w, bias = b.multihead_attn.in_proj_weight, b.multihead_attn.in_proj_bias
                    q = F.linear(x, w[:width], bias[:width]).view(heads, 1, d)
                    c = F.scaled_dot_product_attention(q, mk, mv).reshape(1, width)
                    x = b.norm2(x + b.multihead_attn.out_proj(c))
                    x = b.norm3(x + b.linear2(F.relu(b.linear1(x))))
                token = head(x).argmax(dim=-1)
    return new / timeit(generate, warm=1, reps=5), "tokens/s"

def cnn():
    """A VGG-style CNN for 3-channel 32x32 images: three blocks of a 3x3 convolution (padding 1; 32, 64
    then 128 channels), BatchNorm2d, ReLU and 2x2 max pooling, then Linear(128*4*4, 10)."""
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(128 * 4 * 4, 10))

def cnn_train(batch=64):
    """One SGD step (lr 0.01, momentum 0.9) of cnn() in training mode on 64 random 3x32x32 images,
    cross-entropy; timed as pytorch_ref.py's lenet_sgd_b64."""
    torch.manual_seed(0)
    m = cnn(); opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(batch, 3, 32, 32); y = torch.randint(0, 10, (batch,))
    def step():
        opt.zero_grad(); loss = torch.nn.functional.cross_entropy(m(x), y); loss.backward(); opt.step()
    return batch / timeit(step, reps=30), "samples/s"

def cnn_infer1():
    """One-image inference of cnn() in eval mode (running statistics), no_grad, argmax; timed as
    pytorch_ref.py's mlp_infer_b1."""
    torch.manual_seed(0)
    m = cnn().eval(); x = torch.rand(1, 3, 32, 32)
    def f():
        with torch.no_grad(): m(x).argmax()
    return timeit(f, reps=1000) * 1e6, "us/sample"

def cnn_infer64():
    """cnn() in eval mode on a batch of 64 images, no_grad, argmax per image."""
    torch.manual_seed(0)
    m = cnn().eval(); x = torch.rand(64, 3, 32, 32)
    def f():
        with torch.no_grad(): m(x).argmax(dim=1)
    return 64 / timeit(f, reps=20), "samples/s"

def cnn3d_train(batch=8):
    """One SGD step (lr 0.01, momentum 0.9) of a small 3-D CNN (TrainingWorkloads.swift's cnn3d: two
    blocks of Conv3d 3x3x3 padding 1 with 16 then 32 channels, BatchNorm3d, ReLU, MaxPool3d(2), then
    AdaptiveAvgPool3d(1) and Linear(32, 10)) on 8 random 1x16x32x32 volumes, cross-entropy."""
    torch.manual_seed(0)
    nn = torch.nn
    m = nn.Sequential(nn.Conv3d(1, 16, 3, padding=1), nn.BatchNorm3d(16), nn.ReLU(), nn.MaxPool3d(2),
                      nn.Conv3d(16, 32, 3, padding=1), nn.BatchNorm3d(32), nn.ReLU(), nn.MaxPool3d(2),
                      nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(32, 10))
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(batch, 1, 16, 32, 32); y = torch.randint(0, 10, (batch,))
    def step():
        opt.zero_grad(); loss = torch.nn.functional.cross_entropy(m(x), y); loss.backward(); opt.step()
    return batch / timeit(step, reps=10), "samples/s"

def mobilenet():
    """A MobileNet-style CNN (TrainingWorkloads.swift's mobileNet): Conv2d(3, 32, 3, padding 1), then
    depthwise-separable blocks 32->64, 64->128 stride 2, 128->128, 128->256 stride 2, each a depthwise
    3x3 convolution and a pointwise 1x1 one with BatchNorm2d and ReLU, convolutions without bias;
    AdaptiveAvgPool2d(1), Linear(256, 10)."""
    nn = torch.nn
    def separable(c, o, stride):
        return [nn.Conv2d(c, c, 3, stride, 1, groups=c, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                nn.Conv2d(c, o, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]
    return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
                         *separable(32, 64, 1), *separable(64, 128, 2), *separable(128, 128, 1), *separable(128, 256, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, 10))

def mobilenet_infer1():
    """One-image inference of mobilenet() in eval mode, no_grad, argmax."""
    torch.manual_seed(0)
    m = mobilenet().eval(); x = torch.rand(1, 3, 32, 32)
    def f():
        with torch.no_grad(): m(x).argmax()
    return timeit(f, reps=1000) * 1e6, "us/sample"

def mobilenet_train(batch=64):
    """One SGD step (lr 0.01, momentum 0.9) of mobilenet() on 64 random 3x32x32 images, cross-entropy."""
    torch.manual_seed(0)
    m = mobilenet()
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(batch, 3, 32, 32); y = torch.randint(0, 10, (batch,))
    def step():
        opt.zero_grad(); loss = torch.nn.functional.cross_entropy(m(x), y); loss.backward(); opt.step()
    return batch / timeit(step, reps=20), "samples/s"

def dcgan():
    """A DCGAN generator (TrainingWorkloads.swift's dcganGenerator): ConvTranspose2d 100->256 4x4 stride 1,
    then 256->128, 128->64, 64->3 4x4 stride 2 padding 1, without bias, BatchNorm2d and ReLU between, Tanh
    at the end."""
    nn = torch.nn
    return nn.Sequential(nn.ConvTranspose2d(100, 256, 4, bias=False), nn.BatchNorm2d(256), nn.ReLU(),
                         nn.ConvTranspose2d(256, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
                         nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                         nn.ConvTranspose2d(64, 3, 4, 2, 1, bias=False), nn.Tanh())

def dcgan_infer1():
    """One image from one code [1, 100, 1, 1] through dcgan() in eval mode, no_grad, argmax."""
    torch.manual_seed(0)
    m = dcgan().eval(); z = torch.rand(1, 100, 1, 1)
    def f():
        with torch.no_grad(): m(z).argmax()
    return timeit(f, reps=1000) * 1e6, "us/sample"

def dcgan_train(batch=64):
    """One Adam step (lr 2e-4, betas 0.5 and 0.999) of dcgan() on 64 random codes [100, 1, 1], mean
    squared error against 64 random images in [-1, 1)."""
    torch.manual_seed(0)
    m = dcgan()
    opt = torch.optim.Adam(m.parameters(), lr=2e-4, betas=(0.5, 0.999))
    z = torch.randn(batch, 100, 1, 1); x = torch.rand(batch, 3, 32, 32) * 2 - 1
    def step():
        opt.zero_grad(); loss = torch.nn.functional.mse_loss(m(z), x); loss.backward(); opt.step()
    return batch / timeit(step, reps=20), "samples/s"

def mlp():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(),
                               torch.nn.Linear(128, 10))

def mlp_infer1_int8():
    """mlp_infer_b1 with PyTorch's dynamic quantization of the linear layers (qint8 weights, the
    default qconfig of quantize_dynamic), as Gradus's Module.quantizeDynamic."""
    m = torch.ao.quantization.quantize_dynamic(mlp().eval(), {torch.nn.Linear}, dtype=torch.qint8)
    x = torch.rand(1, 784)
    def f():
        with torch.no_grad(): m(x).argmax()
    return timeit(f, reps=1000) * 1e6, "us/sample"

def sgemm(n):
    a, b = torch.randn(n, n), torch.randn(n, n)
    t = timeit(lambda: torch.mm(a, b), warm=1, reps=3 if n >= 4096 else 10)
    return 2 * n ** 3 / t / 1e9, "GFLOP/s"

def module_parameters():
    """list(parameters()) and zero_grad() on a two-layer TransformerEncoder(64, 4 heads, 256) and a head."""
    layer = torch.nn.TransformerEncoderLayer(64, 4, 256, dropout=0.0, batch_first=True)
    model = torch.nn.Sequential(torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False), torch.nn.Linear(64, 10))
    def f():
        list(model.parameters()); model.zero_grad()
    return timeit(f, reps=2000) * 1e6, "us/call"

def sn_cnn_train(batch=64, spectral=True):
    """One Adam step (lr 2e-4) of a GAN discriminator's layers as a classifier, every weight under
    parametrizations.spectral_norm: Conv2d(3, 64, 4, 2, 1), LeakyReLU(0.2), Conv2d(64, 128, 4, 2, 1),
    LeakyReLU(0.2), Flatten, Linear(128*8*8, 10); 64 random 3x32x32 images, cross-entropy."""
    from torch.nn.utils.parametrizations import spectral_norm as sn
    spectral_norm = sn if spectral else (lambda m: m)
    nn = torch.nn
    torch.manual_seed(0)
    m = nn.Sequential(spectral_norm(nn.Conv2d(3, 64, 4, 2, 1)), nn.LeakyReLU(0.2), spectral_norm(nn.Conv2d(64, 128, 4, 2, 1)),
                      nn.LeakyReLU(0.2), nn.Flatten(), spectral_norm(nn.Linear(128 * 8 * 8, 10)))
    opt = torch.optim.Adam(m.parameters(), lr=2e-4)
    x = torch.rand(batch, 3, 32, 32); y = torch.randint(0, 10, (batch,))
    def step():
        opt.zero_grad(); loss = torch.nn.functional.cross_entropy(m(x), y); loss.backward(); opt.step()
    return batch / timeit(step, reps=20), "samples/s"

W = {"relu_16m": relu, "sn_cnn_b64": sn_cnn_train, "strided_cnn_b64": lambda: sn_cnn_train(spectral=False), "axpb_16m": axpb, "small_op_fwd": small_fwd, "small_op_fwdbwd": small_fwdbwd,
     "lstm_b32": lambda: recurrent_train(torch.nn.LSTM), "gru_b32": lambda: recurrent_train(torch.nn.GRU),
     "gru_b32_stepwise": lambda: recurrent_train(torch.nn.GRU), "rnn_b32": lambda: recurrent_train(torch.nn.RNN),
     "rnn_b32_stepwise": lambda: recurrent_train(torch.nn.RNN), "lstm_generate": lambda: recurrent_generate("lstm"),
     "gru_generate": lambda: recurrent_generate("gru"), "gru_generate_stepwise": lambda: recurrent_generate("gru"), "transformer_b32": transformer_train,
     "transformer_l128": transformer_long, "transformer_deep": transformer_deep, "grid_sample_b8": grid_sample_b8,
     "transformer_deep_ckpt": lambda: transformer_deep(checkpointing=True), "gpt_generate": gpt_generate, "seq2seq_generate": seq2seq_generate,
     "module_parameters": module_parameters, "cnn_c3_b64": cnn_train, "cnn_infer_b1": cnn_infer1,
     "mlp_infer_b1_int8": mlp_infer1_int8, "cnn3d_b8": cnn3d_train, "mobilenet_b64": mobilenet_train, "mobilenet_infer_b1": mobilenet_infer1, "mobilenet_infer_b1_plan": mobilenet_infer1, "dcgan_b64": dcgan_train, "dcgan_infer_b1": dcgan_infer1, "dcgan_infer_b1_plan": dcgan_infer1, "sgemm_4096": lambda: sgemm(4096),
     "bn_relu_b64": bn_relu_b64, "bn_relu_b64_separate": bn_relu_b64,
     "bn_relu_pool_b64": bn_relu_pool_b64, "bn_relu_pool_b64_separate": bn_relu_pool_b64}

def bf16(fn):
    """fn under CPU autocast to bfloat16 (the whole timed step: forward, backward, optimizer), as
    Gradus's `_bf16` workloads run inside MatrixProductBackend.withFloat32Precision(.medium)."""
    def run():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return fn()
    return run

import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "bench"))
import pytorch_ref  # mlp_sgd_b64 and lenet_sgd_b64, PyTorch's side of the fp32 rows
W.update({"sgemm_1024_bf16": bf16(lambda: sgemm(1024)), "sgemm_2048_bf16": bf16(lambda: sgemm(2048)),
          "mlp_sgd_b64_bf16": bf16(pytorch_ref.mlp_train), "lenet_sgd_b64_bf16": bf16(pytorch_ref.lenet_train),
          "cnn_c3_b64_bf16": bf16(cnn_train), "transformer_l128_bf16": bf16(transformer_long)})
# Gradus's `_plan` rows run the same models through its InferencePlan; PyTorch's side is eager as above.
W.update({"mlp_infer_b1_plan": pytorch_ref.mlp_infer1, "cnn_infer_b1_plan": cnn_infer1, "mlp_infer_b1_int8_plan": mlp_infer1_int8,
          "cnn_infer_b64": cnn_infer64, "cnn_infer_b64_plan": cnn_infer64})

if __name__ == "__main__":
    p = argparse.ArgumentParser(); p.add_argument("--threads", type=int, default=1); p.add_argument("only", nargs="*")
    a = p.parse_args(); torch.set_num_threads(a.threads)
    for name, fn in W.items():
        if a.only and name not in a.only: continue
        v, unit = fn(); print(f"{name} {v:.1f} {unit} threads={a.threads}", flush=True)
