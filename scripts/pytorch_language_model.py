#!/usr/bin/env python3
"""The default `gradus train --task language-model` recipe in PyTorch, for comparison.

Same corpus (the embedded Shakespeare, read from the package resource), the same character
vocabulary, the same training/validation split (TextWindowDataset.split: 20 blocks, a seeded choice
of 10% for validation; the seeded choice re-implements Gradus's SeededGenerator, xoshiro256**, and
Swift's shuffle, so the blocks are identical), windows of 128 tokens every 128, the same model
(GPT 4 x 128, 4 heads, GELU, pre-norm, tied output, dropout 0.1, GPT-2 initialization), Adam at
0.002 with cosine annealing per epoch over 10 epochs, batches of 32 shuffled each epoch.
Prints each epoch's training loss, validation loss and bits per character, and the seconds.

Run: /tmp/torchenv/bin/python scripts/pytorch_language_model.py [--epochs 10] [--threads 2]
"""
import argparse
import gzip
import math
import os
import time

import torch
import torch.nn as nn

MASK = (1 << 64) - 1


class SeededGenerator:
    """Gradus's SeededGenerator: xoshiro256** seeded by splitmix64."""

    def __init__(self, seed):
        s = seed
        words = []
        for _ in range(4):
            s = (s + 0x9E3779B97F4A7C15) & MASK
            z = s
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            words.append(z ^ (z >> 31))
        self.s = words

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    def next(self):
        s = self.s
        result = (self.rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return result

    def below(self, bound):
        """Swift's next(upperBound:) (Lemire's method)."""
        m = self.next() * bound
        low = m & MASK
        if low < bound:
            t = ((1 << 64) - bound) % bound
            while low < t:
                m = self.next() * bound
                low = m & MASK
        return m >> 64

    def shuffled(self, items):
        """Swift's MutableCollection.shuffle(using:)."""
        items = list(items)
        amount, i = len(items), 0
        while amount > 1:
            r = self.below(amount)
            amount -= 1
            items[i], items[i + r] = items[i + r], items[i]
            i += 1
        return items


def split(tokens, fraction, seed, blocks=20):
    bounds = [b * len(tokens) // blocks for b in range(blocks + 1)]
    rng = SeededGenerator(seed)
    chosen = set(rng.shuffled(range(blocks))[: max(1, round(blocks * fraction))])
    train, validation = [], []
    for b in range(blocks):
        (validation if b in chosen else train).extend(tokens[bounds[b]:bounds[b + 1]])
    return train, validation


def windows(tokens, length):
    count = (len(tokens) - length - 1) // length + 1
    x = torch.tensor([tokens[i * length:i * length + length] for i in range(count)])
    y = torch.tensor([tokens[i * length + 1:i * length + length + 1] for i in range(count)])
    return x, y


class GPT(nn.Module):
    def __init__(self, vocab, context, width, heads, layers, dropout):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, width)
        self.position_embedding = nn.Embedding(context, width)
        self.drop = nn.Dropout(dropout)
        block = nn.TransformerEncoderLayer(width, heads, 4 * width, dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(block, layers, norm=nn.LayerNorm(width), enable_nested_tensor=False)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name.endswith("bias"):
                    p.zero_()
                elif p.dim() == 2:
                    std = 0.02 / math.sqrt(2 * layers) if name.endswith(("linear2.weight", "out_proj.weight")) else 0.02
                    nn.init.normal_(p, 0, std)
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(context), persistent=False)

    def forward(self, tokens):
        t = tokens.shape[1]
        x = self.drop(self.token_embedding(tokens) + self.position_embedding(torch.arange(t)))
        h = self.encoder(x, mask=self.mask[:t, :t], is_causal=True)
        return h @ self.token_embedding.weight.T


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--context", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    here = os.path.dirname(os.path.abspath(__file__))
    with gzip.open(os.path.join(here, "..", "Sources", "Gradus", "Text", "Resources", "shakespeare.txt.gz")) as f:
        text = f.read().decode("utf-8")
    chars = sorted(set(text))
    ids = {c: i for i, c in enumerate(chars)}
    tokens = [ids[c] for c in text]
    train, validation = split(tokens, 0.1, args.seed)
    xtr, ytr = windows(train, args.context)
    xva, yva = windows(validation, args.context)
    print(f"torch {torch.__version__}, {args.threads} threads: {len(chars)} characters, {len(xtr)} train / {len(xva)} validation windows")
    model = GPT(len(chars), args.context, 128, 4, 4, 0.1)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    loss_fn = nn.CrossEntropyLoss()
    began = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(len(xtr))
        total, n = 0.0, 0
        for i in range(0, len(order), 32):
            idx = order[i:i + 32]
            logits = model(xtr[idx])
            loss = loss_fn(logits.reshape(-1, len(chars)), ytr[idx].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            n += len(idx)
        sched.step()
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            val = sum(loss_fn(model(xva[i:i + 256]).reshape(-1, len(chars)), yva[i:i + 256].reshape(-1)).item() * len(xva[i:i + 256])
                      for i in range(0, len(xva), 256)) / len(xva)
        print(f"epoch {epoch}/{args.epochs}  loss {total / n:.4f}  val loss {val:.4f}  val bpc {val / math.log(2):.3f}  "
              f"{n * args.context / seconds:.0f} tokens/s  {seconds:.2f} s")
    print(f"trained in {time.perf_counter() - began:.1f} s; validation bits per character {val / math.log(2):.4f}")


if __name__ == "__main__":
    main()
