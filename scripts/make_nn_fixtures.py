#!/usr/bin/env python3
"""Reference values for Gradus's NN layers, computed by PyTorch.

For each case, writes Tests/Fixtures/nn/<case>.json with:
  params:  [[name, shape], ...] in named_parameters() order
  buffers: [[name, shape], ...] in named_buffers() order
  state:   the state_dict before running (random weights and statistics), key -> tensor
  input:   the input tensor; gradOutput: weights w of the loss L = sum(w * output)
  runs:    {"train"|"eval": {output, gradInput, grads: {name: tensor}, stateAfter: {buffer: tensor}}}
Tensors are {"shape", "dtype", "data"} with full float values.

Run: /tmp/torchenv/bin/python scripts/make_nn_fixtures.py
"""
import copy
import json
import os

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "nn")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)


def enc(t):
    t = t.detach()
    dtype = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}[t.dtype]
    return {"shape": list(t.shape), "dtype": dtype, "data": [float(v) for v in t.double().flatten().tolist()]}


def randomize(module):
    """Non-default parameters and statistics, so that loading them is actually tested."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.randn_like(p) * 0.5 + (1.0 if name.endswith("weight") and p.dim() == 1 else 0.0))
        for name, b in module.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.randn_like(b) * 0.3)
            elif name.endswith("running_var"):
                b.copy_(torch.rand_like(b) + 0.5)
            elif name.endswith("num_batches_tracked"):
                b.fill_(3)


def first(y):
    """The output sequence of a recurrent layer (which also returns its final state), else y."""
    return y[0] if isinstance(y, tuple) else y


def run(module, x, gout, mode):
    module.train(mode == "train")
    x = x.clone().requires_grad_(x.dtype.is_floating_point)
    for p in module.parameters():
        p.grad = None
    y = first(module(x))
    (y * gout).sum().backward()
    r = {"output": enc(y), "grads": {n: enc(p.grad) for n, p in module.named_parameters() if p.grad is not None},
         "stateAfter": {n: enc(b) for n, b in module.named_buffers()}}
    if x.grad is not None:
        r["gradInput"] = enc(x.grad)
    return r


def case(name, module, x, modes=("train",), randomize_weights=True):
    if randomize_weights:
        randomize(module)
    state = {k: enc(v) for k, v in module.state_dict().items()}
    with torch.no_grad():
        # On a copy: a module with max_norm rescales its weight when it runs.
        gout = torch.rand_like(first(copy.deepcopy(module).eval()(x))) + 0.5
    runs = {}
    for mode in modes:
        runs[mode] = run(module, x, gout, mode)
    doc = {"params": [[n, list(p.shape)] for n, p in module.named_parameters()],
           "buffers": [[n, list(b.shape)] for n, b in module.named_buffers()],
           "state": state, "input": enc(x), "gradOutput": enc(gout), "runs": runs, "repr": repr(module)}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(doc, f)


r = torch.randn
case("linear", nn.Linear(5, 3), r(4, 5))
case("linear_nobias", nn.Linear(5, 3, bias=False), r(2, 5))
case("conv2d", nn.Conv2d(3, 4, 3, padding=1), r(2, 3, 6, 6))
case("conv2d_groups", nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2), r(2, 4, 7, 8))
case("conv1d", nn.Conv1d(3, 4, 3, stride=2, padding=1), r(2, 3, 9))
case("conv1d_groups", nn.Conv1d(4, 6, 3, padding=2, dilation=2, groups=2, bias=False), r(2, 4, 7))
case("convtranspose2d", nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), r(2, 3, 4, 4))
case("convtranspose2d_groups", nn.ConvTranspose2d(4, 6, (2, 3), stride=(2, 1), groups=2, dilation=(1, 2)), r(1, 4, 3, 3))
case("maxpool2d", nn.MaxPool2d(2), r(2, 3, 6, 6))
case("maxpool2d_pad", nn.MaxPool2d(3, stride=2, padding=1), r(2, 2, 7, 7))
case("maxpool2d_dilation", nn.MaxPool2d((2, 3), stride=(1, 2), dilation=(2, 1)), r(1, 2, 6, 7))
case("avgpool2d", nn.AvgPool2d(2), r(2, 3, 6, 6))
case("avgpool2d_pad", nn.AvgPool2d(3, stride=2, padding=1), r(2, 2, 7, 7))
case("avgpool2d_nopadcount", nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), r(2, 2, 7, 7))
case("adaptiveavgpool2d_1", nn.AdaptiveAvgPool2d(1), r(2, 3, 5, 4))
case("adaptiveavgpool2d_32", nn.AdaptiveAvgPool2d((3, 2)), r(2, 3, 7, 5))
case("batchnorm2d", nn.BatchNorm2d(3), r(4, 3, 3, 3) * 2 + 1, modes=("train", "eval"))
case("batchnorm1d", nn.BatchNorm1d(4), r(8, 4) * 2 - 1, modes=("train", "eval"))
case("batchnorm1d_3d", nn.BatchNorm1d(3, momentum=None), r(4, 3, 5), modes=("train", "eval"))
case("batchnorm2d_noaffine", nn.BatchNorm2d(2, affine=False, momentum=0.3), r(3, 2, 2, 2), modes=("train", "eval"))
case("layernorm", nn.LayerNorm([4, 5]), r(3, 4, 5))
case("layernorm_noaffine", nn.LayerNorm(6, elementwise_affine=False), r(2, 3, 6))
case("groupnorm", nn.GroupNorm(2, 4), r(2, 4, 3, 3))
case("embedding", nn.Embedding(10, 4), torch.tensor([[1, 3, 3], [9, 0, 2]]))
case("embedding_padding", nn.Embedding(6, 3, padding_idx=2), torch.tensor([2, 5, 2, 0, 5]))
x = r(3, 5)
for name, m in [("relu", nn.ReLU()), ("leakyrelu", nn.LeakyReLU(0.2)), ("elu", nn.ELU(0.7)), ("gelu", nn.GELU()),
                ("gelu_tanh", nn.GELU(approximate="tanh")), ("silu", nn.SiLU()), ("sigmoid", nn.Sigmoid()),
                ("tanh", nn.Tanh()), ("softplus", nn.Softplus(beta=2, threshold=3)), ("softmax", nn.Softmax(dim=1)),
                ("logsoftmax", nn.LogSoftmax(dim=0)), ("identity", nn.Identity())]:
    case(name, m, x * 2)
case("flatten", nn.Flatten(), r(2, 3, 2, 2))
case("mlp", nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)), r(5, 4), randomize_weights=False)
cnn = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(18, 3))
case("cnn", cnn, r(2, 1, 8, 8), modes=("train", "eval"))
# Ungrouped convolutions on each path of ConvolutionKernels: stride 1 with dilation (wide rows), 1x1
# (pointwise), stride 2 with padding (strided unfolding), and LeNet's second layer on a batch that is
# split across threads.
case("conv2d_dilated", nn.Conv2d(2, 3, 3, padding=2, dilation=2), r(2, 2, 7, 6))
case("conv2d_pointwise", nn.Conv2d(4, 5, 1), r(2, 4, 3, 5))
case("conv2d_strided", nn.Conv2d(3, 4, (3, 2), stride=2, padding=(1, 2)), r(2, 3, 7, 8))
case("conv2d_lenet", nn.Conv2d(6, 16, 5), r(4, 6, 14, 14))
# Pooling in ceil mode: a last, partial window that floor mode drops, and the rule that drops a window
# starting in the right padding (maxpool2d_ceil_pad: 4 rows, not 5).
case("maxpool2d_ceil", nn.MaxPool2d(3, stride=2, ceil_mode=True), r(2, 2, 8, 8))
case("maxpool2d_ceil_pad", nn.MaxPool2d(2, stride=2, padding=1, ceil_mode=True), r(1, 2, 7, 6))
case("avgpool2d_ceil", nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True), r(2, 2, 8, 7))
case("avgpool2d_ceil_nopadcount",
     nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), r(2, 2, 8, 7))
case("avgpool2d_ceil_nopad", nn.AvgPool2d((2, 3), stride=(2, 2), ceil_mode=True), r(1, 3, 5, 6))
# padding="same": an even kernel (one more zero at the bottom) with a dilated width, and a 1-D one.
case("conv2d_same", nn.Conv2d(3, 4, (4, 3), padding="same", dilation=(1, 2)), r(2, 3, 6, 7))
case("conv1d_same", nn.Conv1d(2, 3, 4, padding="same"), r(2, 2, 9))
# Recurrent layers: the output sequence and the gradients through every step; stacked, bidirectional,
# batch-first and one unbatched sequence.
case("rnn", nn.RNN(5, 4, num_layers=2), r(6, 3, 5))
case("rnn_relu_bidirectional", nn.RNN(3, 4, nonlinearity="relu", bidirectional=True, batch_first=True), r(2, 5, 3))
case("lstm", nn.LSTM(5, 4, num_layers=2), r(6, 3, 5))
case("lstm_bidirectional", nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True), r(2, 5, 3))
case("lstm_unbatched_nobias", nn.LSTM(3, 2, bias=False), r(4, 3))
case("gru", nn.GRU(5, 4, num_layers=2), r(6, 3, 5))
case("gru_bidirectional", nn.GRU(3, 4, bidirectional=True, batch_first=True), r(2, 5, 3))


class SelfAttention(nn.MultiheadAttention):
    """nn.MultiheadAttention on one input (query = key = value), output only: the fixture format."""

    def forward(self, x):
        return super().forward(x, x, x, need_weights=False)[0]


case("mha", SelfAttention(8, 2), r(5, 3, 8))
case("mha_batchfirst_nobias", SelfAttention(6, 3, bias=False, batch_first=True), r(2, 4, 6))
case("mha_unbatched", SelfAttention(4, 1), r(3, 4))

# Cross-attention with both masks and the returned weights (its own file format): the module is
# randomized, then its query, key and value drawn.
def masked_attention(name, mha, inputs, attn_mask, key_padding):
    randomize(mha)
    query, key, value = (t.requires_grad_() for t in inputs())
    out, weights = mha(query, key, value, key_padding_mask=key_padding.bool(), attn_mask=attn_mask)
    gout, gweights = torch.rand_like(out) + 0.5, torch.rand_like(weights) + 0.5
    ((out * gout).sum() + (weights * gweights).sum()).backward()
    doc = {"state": {k: enc(v) for k, v in mha.state_dict().items()}, "query": enc(query), "key": enc(key),
           "value": enc(value), "attentionMask": enc(attn_mask), "keyPaddingMask": enc(key_padding),
           "gradOutput": enc(gout), "gradWeights": enc(gweights), "output": enc(out), "weights": enc(weights),
           "gradQuery": enc(query.grad), "gradKey": enc(key.grad), "gradValue": enc(value.grad),
           "grads": {n: enc(p.grad) for n, p in mha.named_parameters()}}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(doc, f)


attn_mask = torch.zeros(3, 5)
attn_mask[0, 4] = -4.0
attn_mask[1, 0] = -1.5
masked_attention("attention_masks", nn.MultiheadAttention(4, 2), lambda: (r(3, 2, 4), r(5, 2, 4), r(5, 2, 4)), attn_mask,
                 torch.tensor([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]]))
# Transformer encoder blocks (dropout 0: PyTorch's random masks cannot be reproduced), post-norm and
# pre-norm with gelu, and a two-block stack with a final normalization.
case("transformer_encoder_layer", nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0), r(5, 3, 8))
case("transformer_encoder_layer_normfirst",
     nn.TransformerEncoderLayer(8, 2, dim_feedforward=12, dropout=0.0, activation="gelu", batch_first=True,
                                norm_first=True), r(2, 5, 8))
case("transformer_encoder",
     nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0), num_layers=2,
                           norm=nn.LayerNorm(8), enable_nested_tensor=False), r(5, 3, 8))
# Max pooling on small integers, so that windows have ties: the gradient goes to the first largest
# element, on the 2x2 path (odd sizes: the last row and column belong to no window) and with
# overlapping, padded windows on the general one.
ties = torch.randint(0, 3, (2, 3, 7, 9)).float()
case("maxpool2d_ties", nn.MaxPool2d(2), ties)
case("maxpool2d_ties_overlap", nn.MaxPool2d(3, stride=1, padding=1), ties)


# Encoder-decoder models, which take two sequences and masks: one file each, with the gradients of both
# sequences. Masks are stored as int64 (nonzero = forbidden, Gradus's reading) or as float (added).
def two_input_case(name, module, sequences, masks, call):
    randomize(module)
    module.train()
    state = {k: enc(v) for k, v in module.state_dict().items()}
    xs = {k: v.clone().requires_grad_() for k, v in sequences.items()}
    torch_masks = {k: (v.bool() if v.dtype == torch.int64 else v) for k, v in masks.items()}
    y = call(module, xs, torch_masks)
    gout = torch.rand_like(y) + 0.5
    (y * gout).sum().backward()
    doc = {"state": state, "sequences": {k: enc(v) for k, v in sequences.items()},
           "masks": {k: enc(v) for k, v in masks.items()}, "gradOutput": enc(gout), "output": enc(y),
           "gradSequences": {k: enc(v.grad) for k, v in xs.items()},
           "grads": {n: enc(p.grad) for n, p in module.named_parameters()}}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(doc, f)


def causal(n):
    return torch.triu(torch.ones(n, n, dtype=torch.int64), diagonal=1)


two_input_case("transformer_decoder_layer", nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0),
               {"target": r(4, 2, 8), "memory": r(5, 2, 8)},
               {"targetMask": causal(4), "memoryKeyPaddingMask": torch.tensor([[0, 0, 0, 0, 1], [0, 0, 0, 0, 0]])},
               lambda m, x, k: m(x["target"], x["memory"], tgt_mask=k["targetMask"],
                                 memory_key_padding_mask=k["memoryKeyPaddingMask"]))
memory_mask = torch.zeros(3, 4)
memory_mask[0, 1] = -1.5
memory_mask[2, 3] = -3.0
two_input_case("transformer_decoder_normfirst",
               nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, dim_feedforward=12, dropout=0.0, activation="gelu",
                                                                batch_first=True, norm_first=True),
                                     num_layers=2, norm=nn.LayerNorm(8)),
               {"target": r(2, 3, 8), "memory": r(2, 4, 8)},
               {"memoryMask": memory_mask, "targetKeyPaddingMask": torch.tensor([[0, 0, 1], [0, 0, 0]])},
               lambda m, x, k: m(x["target"], x["memory"], memory_mask=k["memoryMask"],
                                 tgt_key_padding_mask=k["targetKeyPaddingMask"]))
two_input_case("transformer",
               nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16,
                              dropout=0.0),
               {"source": r(5, 2, 8), "target": r(4, 2, 8)},
               {"targetMask": causal(4), "sourceKeyPaddingMask": torch.tensor([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]])},
               lambda m, x, k: m(x["source"], x["target"], tgt_mask=k["targetMask"],
                                 src_key_padding_mask=k["sourceKeyPaddingMask"],
                                 memory_key_padding_mask=k["sourceKeyPaddingMask"]))

# Convolutions with padding modes other than zeros (F.pad with the mode, then an unpadded convolution),
# 'same' among them (its odd extra row after).
case("conv2d_reflect", nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), r(2, 2, 5, 6))
case("conv2d_replicate_same", nn.Conv2d(2, 3, (4, 3), padding="same", dilation=(1, 2), padding_mode="replicate"),
     r(2, 2, 6, 7))
case("conv2d_circular", nn.Conv2d(3, 2, 3, stride=2, padding=(1, 2), padding_mode="circular"), r(2, 3, 5, 6))
case("conv1d_reflect", nn.Conv1d(2, 3, 3, padding=2, padding_mode="reflect"), r(2, 2, 7))

# RMS normalization, pixel shuffling, and recurrent cells from a zero state (cell_steps_*.json below run
# two steps from a given state).
case("rmsnorm", nn.RMSNorm([4, 5]), r(3, 4, 5))
case("rmsnorm_eps_noaffine", nn.RMSNorm(6, eps=1e-3, elementwise_affine=False), r(2, 3, 6) * 1e-2)
case("rmsnorm_tiny_values", nn.RMSNorm(5), r(2, 5) * 1e-4)
case("pixelshuffle", nn.PixelShuffle(2), r(2, 8, 3, 2))
case("pixelunshuffle", nn.PixelUnshuffle(3), r(1, 2, 6, 3))
case("rnncell", nn.RNNCell(5, 4), r(3, 5))
case("rnncell_relu_nobias", nn.RNNCell(3, 4, bias=False, nonlinearity="relu"), r(2, 3))
case("lstmcell", nn.LSTMCell(5, 4), r(3, 5))
case("grucell", nn.GRUCell(5, 4), r(3, 5))
case("grucell_unbatched", nn.GRUCell(3, 2), r(3))


def cell_steps(name, cell, xs, initial):
    """Two steps of a cell from a given state: the hidden state after each step (and the last cell state of
    an LSTM), with the gradients of the inputs, the initial state and the weights."""
    randomize(cell)
    state = {k: enc(v) for k, v in cell.state_dict().items()}
    xs = [x.clone().requires_grad_() for x in xs]
    initial = [s.clone().requires_grad_() for s in initial]
    lstm = isinstance(cell, nn.LSTMCell)
    s = tuple(initial) if lstm else initial[0]
    hs = []
    for x in xs:
        s = cell(x, s)
        hs.append(s[0] if lstm else s)
    y = torch.stack(hs)
    gout = torch.rand_like(y) + 0.5
    loss = (y * gout).sum()
    doc = {"state": state, "inputs": [enc(x) for x in xs], "initial": [enc(v) for v in initial],
           "gradOutput": enc(gout), "output": enc(y)}
    if lstm:
        gcell = torch.rand_like(s[1]) + 0.5
        loss = loss + (s[1] * gcell).sum()
        doc["gradCell"] = enc(gcell)
        doc["finalCell"] = enc(s[1])
    loss.backward()
    doc["gradInputs"] = [enc(x.grad) for x in xs]
    doc["gradInitial"] = [enc(v.grad) for v in initial]
    doc["grads"] = {n: enc(p.grad) for n, p in cell.named_parameters()}
    with open(os.path.join(OUT, "cell_steps_" + name + ".json"), "w") as f:
        json.dump(doc, f)


cell_steps("rnn", nn.RNNCell(3, 4), [r(2, 3), r(2, 3)], [r(2, 4)])
cell_steps("lstm", nn.LSTMCell(3, 4), [r(2, 3), r(2, 3)], [r(2, 4), r(2, 4)])
cell_steps("gru", nn.GRUCell(3, 4), [r(2, 3), r(2, 3)], [r(2, 4)])
cell_steps("lstm_unbatched", nn.LSTMCell(2, 3, bias=False), [r(2), r(2)], [r(3), r(3)])
# Embeddings with max_norm: the looked-up rows are rescaled in place first (the output shows it); one with
# the 1-norm and a repeated index.
case("embedding_max_norm", nn.Embedding(10, 4, max_norm=1.0), torch.tensor([[1, 3, 3], [9, 0, 2]]))
case("embedding_max_norm_p1", nn.Embedding(6, 3, max_norm=0.8, norm_type=1.0), torch.tensor([2, 5, 2, 0]))
# Padding layers: constant (negative amounts crop), reflection, replication and circular padding.
case("zeropad2d", nn.ZeroPad2d((1, 0, 2, 1)), r(2, 2, 3, 4))
case("zeropad1d_crop", nn.ZeroPad1d((-1, 2)), r(2, 3, 5))
case("constantpad1d", nn.ConstantPad1d(2, 3.5), r(1, 2, 4))
case("reflectionpad2d", nn.ReflectionPad2d((2, 1, 1, 2)), r(1, 2, 4, 5))
case("replicationpad1d", nn.ReplicationPad1d((1, 3)), r(2, 2, 3))
case("circularpad2d_unbatched", nn.CircularPad2d((1, 2, 2, 1)), r(2, 3, 4))
# Transposed 1-D convolutions: strided with padding and output padding, grouped and dilated, no bias.
case("convtranspose1d", nn.ConvTranspose1d(4, 3, 4, stride=2, padding=1), r(2, 4, 6))
case("convtranspose1d_groups_dilation", nn.ConvTranspose1d(4, 6, 3, stride=3, padding=2, output_padding=1, groups=2,
                                                            dilation=2, bias=False), r(2, 4, 5))
case("convtranspose1d_unbatched", nn.ConvTranspose1d(2, 3, 2), r(2, 4))


# Cross-attention between inputs of other widths (kdim, vdim: separate q/k/v projection weights), in the
# format of attention_masks.json: batch first with both masks, and time major without biases (kdim only).
kdim_mask = torch.zeros(3, 4)
kdim_mask[0, 3] = -3.0
kdim_mask[2, 1] = -0.5
masked_attention("attention_kdim_vdim", nn.MultiheadAttention(6, 2, kdim=5, vdim=3, batch_first=True),
                 lambda: (r(2, 3, 6), r(2, 4, 5), r(2, 4, 3)), kdim_mask, torch.tensor([[0, 0, 1, 1], [0, 0, 0, 0]]))
masked_attention("attention_kdim_nobias", nn.MultiheadAttention(4, 1, kdim=2, bias=False),
                 lambda: (r(3, 2, 4), r(4, 2, 2), r(4, 2, 4)), torch.zeros(3, 4), torch.tensor([[0, 0, 0, 1], [1, 0, 0, 0]]))
# Channel shuffle, channel softmax, sliding windows as columns and back, local response normalization
# (odd and even windows, 4-D and 3-D inputs) and the two fixed-mode upsampling layers.
case("channel_shuffle", nn.ChannelShuffle(2), r(2, 6, 3, 2))
case("softmax2d", nn.Softmax2d(), r(2, 3, 4, 2))
case("softmax2d_unbatched", nn.Softmax2d(), r(3, 2, 2))
case("unfold_layer", nn.Unfold(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), r(2, 3, 5, 6))
case("unfold_layer_unbatched", nn.Unfold(2), r(2, 4, 4))
case("fold_layer", nn.Fold(output_size=(4, 5), kernel_size=(2, 2)), r(2, 12, 12))
case("fold_layer_padding_stride", nn.Fold(output_size=(5, 5), kernel_size=3, padding=1, stride=2), r(1, 18, 9))
case("local_response_norm", nn.LocalResponseNorm(3, alpha=0.5, beta=0.75, k=1.5), r(2, 5, 3, 2))
case("local_response_norm_3d_even", nn.LocalResponseNorm(4, alpha=2e-2), r(2, 6, 4))
case("upsampling_nearest2d", nn.UpsamplingNearest2d(scale_factor=2), r(1, 2, 3, 3))
case("upsampling_bilinear2d", nn.UpsamplingBilinear2d(size=(5, 4)), r(2, 1, 3, 2))
# Volumes [N, C, D, H, W]: 3-D convolutions (strided, grouped, dilated, `same`, reflected padding,
# unbatched), the transposed one, the 3-D pools, batch and instance normalization, and the 3-D padding layers.
case("conv3d_layer", nn.Conv3d(2, 4, (2, 3, 3), stride=(1, 2, 1), padding=(1, 1, 0)), r(2, 2, 4, 5, 4))
case("conv3d_groups_dilation", nn.Conv3d(4, 2, 2, groups=2, dilation=(2, 1, 2), bias=False), r(1, 4, 5, 3, 5))
case("conv3d_same_reflect", nn.Conv3d(2, 3, (3, 2, 3), padding="same", padding_mode="reflect"), r(2, 2, 3, 4, 4))
case("conv3d_circular_unbatched", nn.Conv3d(1, 2, 3, padding=(1, 0, 1), padding_mode="circular"), r(1, 4, 3, 3))
case("convtranspose3d_layer", nn.ConvTranspose3d(3, 2, (2, 3, 2), stride=2, padding=(0, 1, 0), output_padding=(1, 1, 0)), r(2, 3, 2, 3, 3))
case("maxpool3d_layer", nn.MaxPool3d((2, 2, 3), stride=(1, 2, 2), padding=(1, 0, 1)), r(2, 2, 4, 5, 6))
case("avgpool3d_layer", nn.AvgPool3d(2, stride=(2, 1, 2), padding=1, count_include_pad=False, ceil_mode=True), r(1, 3, 5, 4, 5))
case("adaptive_avgpool3d_layer", nn.AdaptiveAvgPool3d((2, 1, 3)), r(2, 2, 5, 3, 4))
case("adaptive_maxpool3d_layer", nn.AdaptiveMaxPool3d(2), r(1, 2, 3, 5, 4))
case("batchnorm3d", nn.BatchNorm3d(3), r(2, 3, 2, 3, 2) * 2 + 1, modes=("train", "eval"))
case("instancenorm3d_affine", nn.InstanceNorm3d(2, affine=True), r(2, 2, 2, 3, 3))
case("reflectionpad3d", nn.ReflectionPad3d((1, 0, 2, 1, 1, 1)), r(1, 2, 3, 4, 3))
case("replicationpad3d", nn.ReplicationPad3d(1), r(2, 1, 2, 2, 3))
case("circularpad3d_unbatched", nn.CircularPad3d((0, 1, 1, 0, 2, 1)), r(2, 3, 2, 3))
case("constantpad3d_crop", nn.ConstantPad3d((-1, 1, 0, 2, 1, -1), 2.5), r(1, 2, 3, 3, 4))
# LSTMs with projections (proj_size): stacked and bidirectional, batch first without biases.
case("lstm_proj", nn.LSTM(5, 6, num_layers=2, proj_size=3, bidirectional=True), r(4, 2, 5))
case("lstm_proj_batchfirst_nobias", nn.LSTM(3, 4, proj_size=2, batch_first=True, bias=False), r(2, 5, 3))
# Parametrizations (torch.nn.utils.parametrizations): weight normalization over output units, over input
# channels and over the whole tensor; spectral normalization of a linear layer, of a convolution with two
# power-iteration steps, and of a transposed convolution (rows along dim 1), in training mode (which
# updates _u and _v) then evaluation mode (which does not).
from torch.nn.utils import parametrizations as P  # noqa: E402

case("weight_norm_linear", P.weight_norm(nn.Linear(5, 3)), r(4, 5))
case("weight_norm_conv2d_dim1", P.weight_norm(nn.Conv2d(2, 3, 3), dim=1), r(2, 2, 5, 5))
case("weight_norm_linear_whole", P.weight_norm(nn.Linear(4, 3, bias=False), dim=None), r(2, 4))
case("spectral_norm_linear", P.spectral_norm(nn.Linear(5, 4)), r(3, 5), modes=("train", "eval"))
case("spectral_norm_conv2d_2steps", P.spectral_norm(nn.Conv2d(2, 3, 3, padding=1), n_power_iterations=2), r(2, 2, 4, 4),
     modes=("train", "eval"))
case("spectral_norm_convtranspose2d", P.spectral_norm(nn.ConvTranspose2d(3, 2, 2, stride=2)), r(1, 3, 3, 3),
     modes=("train", "eval"))
case("spectral_norm_embedding", P.spectral_norm(nn.Embedding(6, 3)), torch.tensor([[0, 5], [2, 2]]), modes=("train", "eval"))
print("wrote", len(os.listdir(OUT)), "files to", os.path.normpath(OUT))
