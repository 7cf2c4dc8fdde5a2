"""PyTorch reference for `npm run bench -- model` (reference only, never a dependency).

Runs with all cores and with one thread: with OpenBLAS, torch's OpenMP threads and OpenBLAS's own threads
oversubscribe a small machine, and one thread can be the faster configuration. Same model (4 layers, d_model 256, 8 heads, SwiGLU 768, vocab 256, tied embeddings, RMSNorm, RoPE) and the same work:
one learner step (PPO-clipped REINFORCE++ loss + entropy bonus, AdamW, grad clip 1.0) on 16 x 256 tokens in
micro-batches of 4, and KV-cache sampling of 128 new tokens for 64 prompts of 64 tokens. Last line: JSON.
"""
import json
import math
import os
import time

import torch
import torch.nn.functional as F

V, D, L, H, FF, SEQ, PROMPT, NEW = 256, 256, 4, 8, 768, 256, 64, 128
HD = D // H


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.attn_norm = torch.nn.Parameter(torch.ones(D))
        self.ffn_norm = torch.nn.Parameter(torch.ones(D))
        self.qkv = torch.nn.Linear(D, 3 * D, bias=False)
        self.o = torch.nn.Linear(D, D, bias=False)
        self.gate_up = torch.nn.Linear(D, 2 * FF, bias=False)
        self.down = torch.nn.Linear(FF, D, bias=False)


def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w


def rope(x, cos, sin):
    x1, x2 = x[..., : HD // 2], x[..., HD // 2 :]
    return x * cos + torch.cat([-x2, x1], -1) * sin


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Parameter(torch.randn(V, D) * 0.02)
        self.blocks = torch.nn.ModuleList(Block() for _ in range(L))
        self.norm = torch.nn.Parameter(torch.ones(D))
        inv = 1.0 / (10000 ** (torch.arange(0, HD, 2).float() / HD))
        ang = torch.outer(torch.arange(512).float(), inv)
        ang = torch.cat([ang, ang], -1)
        self.register_buffer("cos", ang.cos())
        self.register_buffer("sin", ang.sin())

    def forward(self, ids, start=0, cache=None):
        b, t = ids.shape
        x = self.embed[ids]
        cos, sin = self.cos[start : start + t], self.sin[start : start + t]
        for i, blk in enumerate(self.blocks):
            q, k, v = blk.qkv(rms(x, blk.attn_norm)).view(b, t, 3, H, HD).permute(2, 0, 3, 1, 4)
            q, k = rope(q, cos, sin), rope(k, cos, sin)
            if cache is not None:
                kc, vc = cache[i]
                kc[:, :, start : start + t] = k
                vc[:, :, start : start + t] = v
                k, v = kc[:, :, : start + t], vc[:, :, : start + t]
            scores = (q @ k.transpose(-1, -2)) * (HD ** -0.5)
            if t > 1:
                scores = scores + torch.full((t, t), float("-inf")).triu(1)
            a = scores.softmax(-1) @ v
            x = x + blk.o(a.transpose(1, 2).reshape(b, t, D))
            g, u = blk.gate_up(rms(x, blk.ffn_norm)).chunk(2, -1)
            x = x + blk.down(F.silu(g) * u)
        return rms(x, self.norm) @ self.embed.t()


def train_step(model, opt, ids, old_logp, adv, micro=4):
    opt.zero_grad()
    n = ids.shape[0] * (SEQ - PROMPT)
    for s in range(0, ids.shape[0], micro):
        x = ids[s : s + micro]
        logp = F.log_softmax(model(x[:, :-1]), -1)[:, PROMPT - 1 :]
        tok = logp.gather(-1, x[:, PROMPT:, None]).squeeze(-1)
        ent = -(logp.exp() * logp).sum(-1)
        ratio = (tok - old_logp[s : s + micro]).exp()
        a = adv[s : s + micro, None]
        pg = -torch.min(ratio * a, ratio.clamp(0.8, 1.2) * a)
        ((pg - 0.001 * ent).sum() / n).backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


@torch.inference_mode()
def generate(model, prompts):
    b = prompts.shape[0]
    cache = [(torch.zeros(b, H, PROMPT + NEW, HD), torch.zeros(b, H, PROMPT + NEW, HD)) for _ in range(L)]
    logits = model(prompts, 0, cache)[:, -1]
    out, lps = [], []
    for step in range(NEW):
        logp = F.log_softmax(logits, -1)
        tok = torch.multinomial(logp.exp(), 1)
        out.append(tok)
        lps.append(logp.gather(-1, tok))
        if step < NEW - 1:
            logits = model(tok, PROMPT + step, cache)[:, -1]
    return torch.cat(out, 1), torch.cat(lps, 1)


def measure(threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = Model()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    ids = torch.randint(0, V, (16, SEQ))
    old = torch.full((16, SEQ - PROMPT), -math.log(V))
    adv = torch.randn(16)
    train_step(model, opt, ids[:4], old[:4], adv[:4])
    steps = 3
    t0 = time.perf_counter()
    for _ in range(steps):
        train_step(model, opt, ids, old, adv)
    train_s = (time.perf_counter() - t0) / steps
    prompts = torch.randint(0, V, (64, PROMPT))
    generate(model, prompts[:4])
    t0 = time.perf_counter()
    tokens, _ = generate(model, prompts)
    sample_s = time.perf_counter() - t0
    return {"threads": threads, "trainTokensPerSec": 16 * SEQ / train_s, "trainStepSeconds": train_s,
            "sampleTokensPerSec": tokens.numel() / sample_s, "sampleSeconds": sample_s}


def main():
    cores = os.cpu_count() or 1
    runs = [measure(cores)] + ([measure(1)] if cores > 1 else [])
    for r in runs:
        print(f"torch {torch.__version__} ({r['threads']} threads): training {r['trainTokensPerSec']:.0f} tokens/s, "
              f"sampling {r['sampleTokensPerSec']:.0f} tokens/s")
    print(json.dumps({"torch": torch.__version__, "runs": runs}))


if __name__ == "__main__":
    main()
