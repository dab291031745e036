#!/usr/bin/env python3
"""Reference values for Gradus's language models and token sampling, computed by PyTorch.

Writes to Tests/Fixtures/nn/:
  language_models.json: for a GPT (token + position embeddings, pre-norm causal
    nn.TransformerEncoder blocks with GELU, final LayerNorm, output tied to the token embedding)
    and LSTM/GRU language models (embedding, batch-first recurrent layers, linear head):
    the state_dict, int64 tokens [2, 7], the logits, and the gradients of
    L = sum(w * logits) for every parameter (the tied embedding's gradient includes the output's part).
  sampling_filters.json: logits, temperature, top-k, top-p and the filtered, renormalized
    probabilities of Hugging Face's TemperatureLogitsWarper -> TopKLogitsWarper -> TopPLogitsWarper
    (re-implemented below with torch ops; no ties, no value on a boundary).

Run: /tmp/torchenv/bin/python scripts/make_language_model_fixtures.py
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "nn")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)


def enc(t):
    t = t.detach()
    dtype = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}[t.dtype]
    return {"shape": list(t.shape), "dtype": dtype, "data": [float(v) for v in t.double().flatten().tolist()]}


class GPT(nn.Module):
    """The module GPTLanguageModel's names and computation follow."""

    def __init__(self, vocab, context, width, heads, layers, dropout=0.0):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, width)
        self.position_embedding = nn.Embedding(context, width)
        self.drop = nn.Dropout(dropout)
        block = nn.TransformerEncoderLayer(width, heads, 4 * width, dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(block, layers, norm=nn.LayerNorm(width), enable_nested_tensor=False)

    def forward(self, tokens):
        t = tokens.shape[1]
        x = self.drop(self.token_embedding(tokens) + self.position_embedding(torch.arange(t)))
        mask = nn.Transformer.generate_square_subsequent_mask(t)
        h = self.encoder(x, mask=mask, is_causal=True)
        return h @ self.token_embedding.weight.T


class Recurrent(nn.Module):
    """The module RecurrentLanguageModel's names and computation follow."""

    def __init__(self, cell, vocab, width, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, width)
        self.rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(width, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens):
        return self.head(self.rnn(self.embedding(tokens))[0])


def model_case(name, module, vocab):
    with torch.no_grad():
        for key, p in module.named_parameters():
            # LayerNorm scales near 1, everything else small and random.
            p.copy_(torch.randn_like(p) * 0.3 + (1.0 if "norm" in key and key.endswith("weight") else 0.0))
    module.eval()
    tokens = torch.randint(0, vocab, (2, 7))
    logits = module(tokens)
    w = torch.randn_like(logits)
    (w * logits).sum().backward()
    return {
        "name": name,
        "state": {k: enc(v) for k, v in module.state_dict().items() if k != "lm_head.weight"},
        "tokens": enc(tokens),
        "logits": enc(logits),
        "gradOutput": enc(w),
        "grads": {k: enc(p.grad) for k, p in module.named_parameters()},
    }


cases = [
    model_case("gpt", GPT(11, 9, 8, 2, 2), 11),
    model_case("lstm", Recurrent("lstm", 11, 6, 8, 2), 11),
    model_case("gru", Recurrent("gru", 11, 6, 8, 2), 11),
]
with open(os.path.join(OUT, "language_models.json"), "w") as f:
    json.dump(cases, f)


def filtered(logits, temperature, top_k, top_p):
    """Hugging Face's warpers, in generate()'s order, then softmax."""
    scores = logits / temperature
    if top_k is not None:
        kth = torch.topk(scores, top_k)[0][..., -1, None]
        scores = scores.masked_fill(scores < kth, -math.inf)
    if top_p is not None:
        sorted_logits, sorted_indices = torch.sort(scores, descending=False)
        cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        remove_sorted = cumulative <= (1 - top_p)
        remove_sorted[..., -1:] = 0
        remove = remove_sorted.scatter(0, sorted_indices, remove_sorted)
        scores = scores.masked_fill(remove, -math.inf)
    return F.softmax(scores.double(), dim=-1)


samples = []
g = torch.Generator().manual_seed(1)
for temperature, top_k, top_p in [(1.0, None, None), (0.7, None, None), (1.0, 5, None), (1.3, 3, None),
                                  (1.0, None, 0.9), (0.8, None, 0.5), (1.0, 8, 0.8), (2.0, 4, 0.95), (0.5, 1, None)]:
    for _ in range(3):
        logits = torch.randn(12, generator=g, dtype=torch.float64) * 2
        samples.append({"logits": enc(logits), "temperature": temperature, "topK": top_k, "topP": top_p,
                        "probabilities": enc(filtered(logits, temperature, top_k, top_p))})
with open(os.path.join(OUT, "sampling_filters.json"), "w") as f:
    json.dump(samples, f)
print("wrote", len(cases), "models and", len(samples), "sampling cases")
