# The PyTorch twin of `npm run bench -- supervised`: the same model shape (char level, d_model 96, 2 layers, 4 heads,
# ffn 256, tied embeddings; learned positions instead of RoPE), the same prompt layout and the same labelled stream,
# scored the same way (greedy, exact repr match on examples/heldout/tiny-python.jsonl). How far does a fast
# framework get on this machine in the same wall time?
#   npm run bench -- supervised --examples 150000 --dump /tmp/stream.jsonl
#   /usr/bin/python3 bench/supervised_torch.py --data /tmp/stream.jsonl --minutes 9 --threads 2
import argparse, json, math, random, time
import torch
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument('--minutes', type=float, default=9)
ap.add_argument('--threads', type=int, default=1)
ap.add_argument('--dmodel', type=int, default=96)
ap.add_argument('--layers', type=int, default=2)
ap.add_argument('--ffn', type=int, default=256)
ap.add_argument('--batch', type=int, default=32)
ap.add_argument('--lr', type=float, default=1e-3)
ap.add_argument('--every', type=int, default=1000)
ap.add_argument('--data', required=True)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
random.seed(0)

alphabet = '\n' + ''.join(chr(32 + i) for i in range(95))
stoi = {c: i for i, c in enumerate(alphabet)}
V = len(alphabet)
enc = lambda s: [stoi.get(c, stoi[' ']) for c in s]

def prompt(d):
    return f"# input\n{d['input']}\n# program\n{d['code']}\n# output\n"

data = [json.loads(l) for l in open(a.data)]
held = [json.loads(l) for l in open('examples/heldout/tiny-python.jsonl')]
T = 256

class Block(nn.Module):
    def __init__(s, d, h, f):
        super().__init__()
        s.n1, s.n2 = nn.LayerNorm(d), nn.LayerNorm(d)
        s.att = nn.MultiheadAttention(d, h, batch_first=True)
        s.ff = nn.Sequential(nn.Linear(d, f), nn.GELU(), nn.Linear(f, d))
    def forward(s, x, mask):
        y = s.n1(x)
        x = x + s.att(y, y, y, attn_mask=mask, need_weights=False)[0]
        return x + s.ff(s.n2(x))

class Model(nn.Module):
    def __init__(s):
        super().__init__()
        s.emb = nn.Embedding(V, a.dmodel)
        s.pos = nn.Embedding(T, a.dmodel)
        s.blocks = nn.ModuleList([Block(a.dmodel, 4, a.ffn) for _ in range(a.layers)])
        s.norm = nn.LayerNorm(a.dmodel)
    def forward(s, ids):
        L = ids.shape[1]
        x = s.emb(ids) + s.pos(torch.arange(L))
        mask = torch.triu(torch.full((L, L), float('-inf')), 1)
        for b in s.blocks:
            x = b(x, mask)
        return s.norm(x) @ s.emb.weight.T

m = Model()
print('params', sum(p.numel() for p in m.parameters()))
opt = torch.optim.AdamW(m.parameters(), lr=a.lr, weight_decay=0.01)

def batch(items):
    seqs, starts = [], []
    for d in items:
        p, t = enc(prompt(d))[-(T - 40):], enc(d['output'] + '\n')[:40]
        seqs.append(p + t)
        starts.append(len(p))
    L = max(map(len, seqs))
    ids = torch.zeros(len(seqs), L, dtype=torch.long)
    tgt = torch.full((len(seqs), L), -100, dtype=torch.long)
    for i, (s, st) in enumerate(zip(seqs, starts)):
        ids[i, :len(s)] = torch.tensor(s)
        tgt[i, st - 1:len(s) - 1] = torch.tensor(s[st:])
    return ids, tgt

@torch.no_grad()
def evaluate():
    m.eval()
    ok = [0, 0, 0, 0]; n = [0, 0, 0, 0]
    for d in held:
        ids = enc(prompt(d))
        out = ''
        for _ in range(32):
            logits = m(torch.tensor([ids[-T:]]))[0, -1]
            c = alphabet[int(logits.argmax())]
            if c == '\n':
                break
            out += c
            ids.append(stoi[c])
        n[d['difficulty']] += 1
        if out.strip() == d['output']:
            ok[d['difficulty']] += 1
    m.train()
    return f"{100 * sum(ok) / len(held):.1f}% [{'/'.join(f'{100 * ok[i] / n[i]:.0f}' for i in (1, 2, 3))}]"

start = time.time()
step = seen = 0
print('step 0', evaluate(), flush=True)
while time.time() - start < a.minutes * 60:
    items = data[seen % len(data): seen % len(data) + a.batch]
    seen += a.batch
    ids, tgt = batch(items)
    loss = F.cross_entropy(m(ids).reshape(-1, V), tgt.reshape(-1))
    opt.zero_grad(); loss.backward()
    nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step(); step += 1
    if step % a.every == 0:
        print(f'step {step} seen {seen} t {time.time() - start:.0f}s loss {loss.item():.3f} heldout {evaluate()}', flush=True)
final = evaluate()
print(f'final step {step} seen {seen} heldout {final}', flush=True)
print(json.dumps({'bench': 'supervised-torch', 'minutes': a.minutes, 'threads': a.threads, 'examples': seen,
                  'heldoutDeduction': float(final.split('%')[0]) / 100}))
