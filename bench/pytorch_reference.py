# PyTorch's side of `backprop bench --compare`: the same models, shapes,
# optimizers and threads as `backprop bench`, timed the same way (one warm-up,
# then repeated calls for at least a fixed time, the best call kept, since
# noise only ever adds time). Prints one JSON line per measurement with the
# same "kernel" and "shape" strings as `backprop bench --json` and the variant
# "pytorch" (or "numpy" for NumPy's BLAS), so that the two can be joined:
#
#   python3 bench/pytorch_reference.py > /tmp/pytorch.jsonl
#   swift run -c release backprop bench --compare /tmp/pytorch.jsonl
#
# or `bench/compare`, which runs both three times, one after the other.
# Python is for reference measurements only; no test needs it.
#
#   model            what is timed (one training step = forward, loss, backward, clipping if the
#                    Swift trainer clips, optimizer update; zero_grad included)
#   mlp              64-256-256-10 ReLU, batch 64, Adam 1e-3, random inputs N(0,1)
#   cnn              digits CNN: conv 1->16 3x3 p1, ReLU, conv 16->32 3x3 p1, ReLU, maxpool 2,
#                    Linear 512->10, no dropout; batch 64 of 8x8 images U(0,1); Adam 1e-3
#   lenet5           LeNet-5: conv 1->6 5x5 p2, ReLU, pool 2, conv 6->16 5x5, ReLU, pool 2,
#                    400-120-84-10 with ReLU; batch 64 of 28x28 images U(0,1); Adam 1e-3
#   char-rnn/lstm/gru  Embedding(65, 64) -> cell(64 -> 256) -> Linear(256 -> 65), T 64, B 32,
#                    Adam 2e-3, clipping at 5, state carried (detached) between steps
#   gpt train step   baby GPT with biases: L4 H4 C128 T64, vocabulary 65, tied head, exact GELU,
#                    batch 12, AdamW (0.9, 0.99), weight decay 0.1 on matrices, clipping at 1
#   gpt generate     256 tokens after a one-token prompt, batch 1, greedy, a hand-written
#                    KV cache with the Swift decoder's window rule (slide by T/2 when the
#                    sequence outgrows T, then refill the cache with one batched forward pass)
#   llama train step chapter 8's Llama-style model: V512 L4 C128, 4 query heads sharing 2
#                    key/value heads (repeat_kv), RoPE (rotate-half, base 10000) on q and k,
#                    RMSNorm (eps 1e-5), SwiGLU hidden 344, no biases, tied head; batch 12 of
#                    T64, AdamW (0.9, 0.99), weight decay 0.1 on matrices, clipping at 1
#   llama lora step  the same model with rank-4 adapters (alpha 8) on q and v and every base
#                    weight frozen (requires_grad False); AdamW and clipping on the adapters only
#   matmul           SGEMM C = A·B, float32, torch.mm and numpy.matmul (OpenBLAS)
#   tokenizer        tiktoken's gpt2 encoding (from the bundled files) on all of tinyshakespeare,
#                    one encode_ordinary call; variant "tiktoken", with ms_per_step and mb_per_second
#
# Flags: --threads (2), --min-seconds per measurement (2), --only NAME[,NAME…]
# (mlp, cnn, lenet5, char-rnn, char-lstm, char-gru, gpt, llama, matmul, tokenizer).
import argparse, json, math, os, sys, time

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, default=2)
p.add_argument('--min-seconds', type=float, default=2.0)
p.add_argument('--only', default='')
a = p.parse_args()
os.environ.setdefault('OPENBLAS_NUM_THREADS', str(a.threads))
os.environ.setdefault('OMP_NUM_THREADS', str(a.threads))
only = set(a.only.split(',')) if a.only else None


def wanted(name):
    return only is None or name in only


def best_time(body, min_seconds=None, min_runs=5):
    """Best seconds per call over repeated calls lasting at least min_seconds."""
    min_seconds = a.min_seconds if min_seconds is None else min_seconds
    body()
    best, runs, start = float('inf'), 0, time.perf_counter()
    while runs < min_runs or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        body()
        best = min(best, time.perf_counter() - t0)
        runs += 1
    return best


def emit(kernel, shape, variant='pytorch', **fields):
    row = {'kernel': kernel, 'shape': shape, 'variant': variant}
    row.update({k: round(v, 4) if isinstance(v, float) else v for k, v in fields.items()})
    print(json.dumps(row, separators=(',', ':')), flush=True)


def training_step(model, opt, loss_fn, clip=None):
    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
    return step


# ---------------------------------------------------------------- chapter 8
# tiktoken's `gpt2` encoding, built from the bundled files as tiktoken builds it
# (its loader, its pattern, <|endoftext|> = 50256; the ranks are not downloaded),
# encoding the whole of tinyshakespeare in one call of encode_ordinary.
if wanted('tokenizer'):
    import tiktoken
    from tiktoken.load import data_gym_to_mergeable_bpe_ranks
    from tiktoken_ext.openai_public import r50k_pat_str
    data = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'Sources', 'Datasets')
    ranks = data_gym_to_mergeable_bpe_ranks(os.path.join(data, 'gpt2-vocab.bpe'), os.path.join(data, 'gpt2-encoder.json'))
    enc = tiktoken.Encoding(name='gpt2', explicit_n_vocab=50257, pat_str=r50k_pat_str, mergeable_ranks=ranks,
                            special_tokens={'<|endoftext|>': 50256})
    with open(os.path.join(data, 'tinyshakespeare.txt'), encoding='utf-8') as f:
        text = f.read()
    size = len(text.encode('utf-8'))
    s = best_time(lambda: enc.encode_ordinary(text))
    emit('gpt2 encode', f'tinyshakespeare {size} bytes', variant='tiktoken', ms_per_step=s * 1000, mb_per_second=size / s / 1e6)

if only is not None and only <= {'tokenizer'}:
    sys.exit(0)
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

torch.set_num_threads(a.threads)

# ---------------------------------------------------------------- chapter 2
if wanted('mlp'):
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    x, y = torch.randn(64, 64), torch.randint(0, 10, (64,))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    s = best_time(training_step(net, opt, lambda: F.cross_entropy(net(x), y)))
    emit('mlp', '64-256-256-10 batch 64 adam', ms_per_step=s * 1000)

# ---------------------------------------------------------------- chapter 5
if wanted('cnn'):
    torch.manual_seed(1)
    net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(512, 10))
    x, y = torch.rand(64, 1, 8, 8), torch.randint(0, 10, (64,))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    s = best_time(training_step(net, opt, lambda: F.cross_entropy(net(x), y)))
    emit('cnn', 'digits CNN batch 64 adam', ms_per_step=s * 1000)

if wanted('lenet5'):
    torch.manual_seed(1)
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                        nn.Linear(84, 10))
    x, y = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    s = best_time(training_step(net, opt, lambda: F.cross_entropy(net(x), y)))
    emit('lenet5', 'LeNet-5 28x28 batch 64 adam', ms_per_step=s * 1000)

# ---------------------------------------------------------------- chapter 6
V, E, H, T, B = 65, 64, 256, 64, 32
for cell in ['rnn', 'lstm', 'gru']:
    if not wanted('char-' + cell):
        continue
    torch.manual_seed(1)

    class CharModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(V, E)
            self.rnn = {'rnn': nn.RNN, 'lstm': nn.LSTM, 'gru': nn.GRU}[cell](E, H, batch_first=True)
            self.head = nn.Linear(H, V)

        def forward(self, x, state):
            h, state = self.rnn(self.embed(x), state)
            return self.head(h), state

    net = CharModel()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    x, y = torch.randint(0, V, (B, T)), torch.randint(0, V, (B, T))
    carried = [None]

    def loss_fn():
        state = carried[0]
        if state is not None:
            state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        logits, carried[0] = net(x, state)
        return F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))

    s = best_time(training_step(net, opt, loss_fn, clip=5.0))
    emit('char-' + cell, f'E{E} H{H} T{T} B{B} adam', ms_per_step=s * 1000)

# ---------------------------------------------------------------- chapter 7
C, L, NH, CTX = 128, 4, 4, 64


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.fc, self.fc2 = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, 2)
        q, k, v = [z.view(b, t, NH, c // NH).transpose(1, 2) for z in (q, k, v)]
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, c)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc(self.ln2(x))))

    def decode(self, x, cache):
        """x [1, C] at position len(cache keys); appends k, v to cache = [K, V] of shape [NH, n, d]."""
        q, k, v = self.qkv(self.ln1(x)).split(C, 1)
        q, k, v = [z.view(NH, 1, C // NH) for z in (q, k, v)]
        cache[0] = k if cache[0] is None else torch.cat([cache[0], k], 1)
        cache[1] = v if cache[1] is None else torch.cat([cache[1], v], 1)
        y = F.scaled_dot_product_attention(q, cache[0], cache[1]).reshape(1, C)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc(self.ln2(x))))

    def prefill(self, x, cache):
        """x [n, C] from position 0; fills cache with the window's keys and values."""
        n = x.shape[0]
        q, k, v = self.qkv(self.ln1(x)).split(C, 1)
        q, k, v = [z.view(n, NH, C // NH).transpose(0, 1) for z in (q, k, v)]
        cache[0], cache[1] = k, v
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(0, 1).reshape(n, C)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(CTX, C)
        self.h = nn.ModuleList([Block() for _ in range(L)])
        self.lnf = nn.LayerNorm(C)
        for name, q in self.named_parameters():
            if q.dim() == 2:
                nn.init.normal_(q, 0, 1 / math.sqrt(C) / (math.sqrt(2 * L) if name.endswith(('proj.weight', 'fc2.weight')) else 1))

    def forward(self, x):
        h = self.wte(x) + self.wpe(torch.arange(x.shape[1]))
        for b in self.h:
            h = b(h)
        return self.lnf(h) @ self.wte.weight.T


if wanted('gpt'):
    torch.manual_seed(1)
    gpt = GPT()
    matrices = [q for q in gpt.parameters() if q.dim() >= 2]
    vectors = [q for q in gpt.parameters() if q.dim() < 2]
    opt = torch.optim.AdamW([{'params': matrices, 'weight_decay': 0.1}, {'params': vectors, 'weight_decay': 0}],
                            lr=1e-4, betas=(0.9, 0.99), eps=1e-8)
    x, y = torch.randint(0, V, (12, CTX)), torch.randint(0, V, (12, CTX))
    s = best_time(training_step(gpt, opt, lambda: F.cross_entropy(gpt(x).view(-1, V), y.view(-1)), clip=1.0))
    emit('gpt train step', f'L{L} H{NH} C{C} T{CTX} batch 12 adamw', ms_per_step=s * 1000)

    @torch.no_grad()
    def generate(count=256):
        tokens, out = [0], []
        start, caches, logits = 0, None, None

        def window_start(n):
            if n <= CTX:
                return 0
            half = CTX // 2
            return (n - CTX + half - 1) // half * half

        def refill(s):
            nonlocal caches
            caches = [[None, None] for _ in range(L)]
            ids = torch.tensor(tokens[s:])
            h = gpt.wte(ids) + gpt.wpe(torch.arange(len(ids)))
            for b, cache in zip(gpt.h, caches):
                h = b.prefill(h, cache)
            return gpt.lnf(h[-1:]) @ gpt.wte.weight.T

        logits = refill(0)
        for i in range(count):
            nxt = int(logits.argmax())
            out.append(nxt)
            if i + 1 == count:
                break
            tokens.append(nxt)
            s = window_start(len(tokens))
            if s != start:
                start = s
                logits = refill(s)
                continue
            pos = len(tokens) - 1 - start
            h = gpt.wte.weight[nxt:nxt + 1] + gpt.wpe.weight[pos:pos + 1]
            for b, cache in zip(gpt.h, caches):
                h = b.decode(h, cache)
            logits = gpt.lnf(h) @ gpt.wte.weight.T
        return out

    s = best_time(generate, min_runs=3)
    emit('gpt generate', '256 tokens batch 1 kv-cache', ms_per_step=s * 1000 / 256, tokens_per_second=256 / s)

# ---------------------------------------------------------------- chapter 8: Llama
LV, LC, LL, LH, LKV, LCTX, LHID = 512, 128, 4, 4, 2, 64, 344
LD = LC // LH


def rope_tables(t, d, base=10000.0):
    inv = base ** (-torch.arange(0, d // 2, dtype=torch.float64) * 2 / d)
    angles = torch.arange(t, dtype=torch.float64)[:, None] * inv[None, :]     # [T, d/2]
    return torch.cat([angles.cos()] * 2, 1).float(), torch.cat([angles.sin()] * 2, 1).float()


def rotate(x, cos, sin):
    """Rotate-half RoPE of x [B, heads, T, d]."""
    h = x.shape[-1] // 2
    return x * cos + torch.cat([-x[..., h:], x[..., :h]], -1) * sin


class LoRAProjection(nn.Module):
    """W x + (alpha/r) B A x with W frozen (PEFT's lora.Linear without dropout)."""
    def __init__(self, base, r=4, alpha=8.0):
        super().__init__()
        self.base, self.scale = base, alpha / r
        self.a = nn.Parameter(torch.empty(r, base.in_features).uniform_(-1 / math.sqrt(base.in_features), 1 / math.sqrt(base.in_features)))
        self.b = nn.Parameter(torch.zeros(base.out_features, r))

    def forward(self, x):
        return self.base(x) + (x @ self.a.T @ self.b.T) * self.scale


class LlamaBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.n1, self.n2 = nn.RMSNorm(LC, eps=1e-5), nn.RMSNorm(LC, eps=1e-5)
        self.q, self.k = nn.Linear(LC, LH * LD, bias=False), nn.Linear(LC, LKV * LD, bias=False)
        self.v, self.o = nn.Linear(LC, LKV * LD, bias=False), nn.Linear(LH * LD, LC, bias=False)
        self.gate, self.up = nn.Linear(LC, LHID, bias=False), nn.Linear(LC, LHID, bias=False)
        self.down = nn.Linear(LHID, LC, bias=False)

    def forward(self, x, cos, sin):
        b, t, _ = x.shape
        n = self.n1(x)
        q = self.q(n).view(b, t, LH, LD).transpose(1, 2)
        k = self.k(n).view(b, t, LKV, LD).transpose(1, 2)
        v = self.v(n).view(b, t, LKV, LD).transpose(1, 2)
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        k, v = k.repeat_interleave(LH // LKV, 1), v.repeat_interleave(LH // LKV, 1)     # repeat_kv
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, LC)
        x = x + self.o(y)
        n = self.n2(x)
        return x + self.down(F.silu(self.gate(n)) * self.up(n))


class Llama(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(LV, LC)
        self.layers = nn.ModuleList([LlamaBlock() for _ in range(LL)])
        self.norm = nn.RMSNorm(LC, eps=1e-5)
        self.cos, self.sin = rope_tables(LCTX, LD)
        for name, q in self.named_parameters():
            if q.dim() == 2:
                nn.init.normal_(q, 0, 1 / math.sqrt(LC) / (math.sqrt(2 * LL) if name.endswith(('o.weight', 'down.weight')) else 1))

    def forward(self, x):
        h = self.embed(x)
        cos, sin = self.cos[:x.shape[1]], self.sin[:x.shape[1]]
        for b in self.layers:
            h = b(h, cos, sin)
        return self.norm(h) @ self.embed.weight.T


def adamw(params):
    matrices = [q for q in params if q.dim() >= 2]
    vectors = [q for q in params if q.dim() < 2]
    groups = [g for g in [{'params': matrices, 'weight_decay': 0.1}, {'params': vectors, 'weight_decay': 0}] if g['params']]
    return torch.optim.AdamW(groups, lr=1e-4, betas=(0.9, 0.99), eps=1e-8)


if wanted('llama'):
    shape = f'V{LV} L{LL} C{LC} H{LH} Hkv{LKV} T{LCTX} batch 12 adamw'
    torch.manual_seed(1)
    llama = Llama()
    x, y = torch.randint(0, LV, (12, LCTX)), torch.randint(0, LV, (12, LCTX))
    s = best_time(training_step(llama, adamw(list(llama.parameters())),
                                lambda: F.cross_entropy(llama(x).view(-1, LV), y.view(-1)), clip=1.0))
    emit('llama train step', shape, ms_per_step=s * 1000)

    for q in llama.parameters():
        q.requires_grad_(False)
    for b in llama.layers:
        b.q, b.v = LoRAProjection(b.q), LoRAProjection(b.v)
    adapters = [q for q in llama.parameters() if q.requires_grad]
    opt = adamw(adapters)

    def lora_step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(llama(x).view(-1, LV), y.view(-1)).backward()
        nn.utils.clip_grad_norm_(adapters, 1.0)
        opt.step()

    s = best_time(lora_step)
    emit('llama lora step', shape + ' lora r4 q,v base frozen', ms_per_step=s * 1000)

# ---------------------------------------------------------------- SGEMM
if wanted('matmul'):
    for n in [1024]:
        ta, tb = torch.randn(n, n), torch.randn(n, n)
        na, nb = ta.numpy(), tb.numpy()
        flops = 2.0 * n ** 3
        s = best_time(lambda: torch.mm(ta, tb), min_seconds=1)
        emit('matmul', f'{n}x{n}x{n} nn', gflops=flops / s / 1e9)
        s = best_time(lambda: np.matmul(na, nb), min_seconds=1)
        emit('matmul', f'{n}x{n}x{n} nn', variant='numpy', gflops=flops / s / 1e9)
