# The PyTorch side of chapters/06-recurrent-networks.md's comparison: the same
# character model, data, split and recipe as `backprop train char-rnn`, so that
# the Swift and PyTorch results can be compared seed for seed.
#
#   model     Embedding(65, 64) ~ N(0, 1) -> LSTM/GRU/RNN(64 -> 256, PyTorch's
#             default init U(+-1/sqrt(256))) -> Linear(256 -> 65), U(+-1/sqrt(256))
#   data      tinyshakespeare in order: 90% training, 5% validation, 5% test
#   batches   32 contiguous streams of the training text, windows of 64,
#             hidden state carried from window to window (detached), reset
#             at each epoch
#   training  mean cross-entropy over the 2,048 positions, Adam at 2e-3,
#             clipping by global norm at 5, 2,000 steps
#   reported  the validation and test losses (nats per character), each over
#             the whole part cut into 32 streams of windows of 64 with the
#             state carried, as CharRNN.evaluate does; the training loss as
#             the mean of the last 50 steps
#
# It prints one JSON line like `train char-rnn --json`, with
# "implementation": "pytorch", so that `backprop summarize` groups the runs
# apart from the Swift ones. Needs torch; the tests never run it. Example:
#
#   python3 chapters/experiments/06-char-rnn.py --cell lstm --seed 1
import argparse, json, math, os, time
import torch, torch.nn as nn, torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--cell', choices=['rnn', 'lstm', 'gru'], default='lstm')
p.add_argument('--seed', type=int, default=42)
p.add_argument('--steps', type=int, default=2000)
p.add_argument('--threads', type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)

text = open(os.path.join(os.path.dirname(__file__), '../../Sources/Datasets/tinyshakespeare.txt')).read()
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text])
n = len(data)
cut, test_cut = int(n * 0.9), int(n * 0.95)
train, valid, test = data[:cut], data[cut:test_cut], data[test_cut:]
V, E, H, T, B = len(chars), 64, 256, 64, 32


class Streams:
    """B contiguous streams; batch w takes window w of every stream."""
    def __init__(self, tokens, batch, length):
        self.tokens, self.batch, self.length = tokens, batch, length
        self.stream = (len(tokens) - 1) // batch
        self.windows = self.stream // length
        self.w = 0

    def next(self):
        starts = [b * self.stream + self.w * self.length for b in range(self.batch)]
        x = torch.stack([self.tokens[s:s + self.length] for s in starts])
        y = torch.stack([self.tokens[s + 1:s + self.length + 1] for s in starts])
        first = self.w == 0
        self.w = (self.w + 1) % self.windows
        return x, y, first


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(V, E)  # N(0, 1), as the Swift model
        self.rnn = {'rnn': nn.RNN, 'lstm': nn.LSTM, 'gru': nn.GRU}[a.cell](E, H, batch_first=True)
        self.head = nn.Linear(H, V)
        k = 1 / math.sqrt(H)
        nn.init.uniform_(self.head.weight, -k, k)
        nn.init.uniform_(self.head.bias, -k, k)

    def forward(self, x, y, state):
        h, state = self.rnn(self.embed(x), state)
        return F.cross_entropy(self.head(h).reshape(-1, V), y.reshape(-1)), state


def detach(state):
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


@torch.no_grad()
def evaluate(model, tokens, batch=32, length=64):
    batch = max(1, min(batch, (len(tokens) - 1) // (length + 1)))
    streams, state, total = Streams(tokens, batch, length), None, 0.0
    for _ in range(streams.windows):
        x, y, _ = streams.next()
        loss, state = model(x, y, state)
        total += loss.item()
    return total / streams.windows


model = Model()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
streams, state, losses = Streams(train, B, T), None, []
start = time.time()
for step in range(a.steps):
    x, y, first = streams.next()
    if first:
        state = None
    loss, state = model(x, y, detach(state))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    losses.append(loss.item())
seconds = time.time() - start
model.eval()
print(json.dumps({
    'model': f'char-{a.cell}', 'dataset': 'tinyshakespeare', 'implementation': 'pytorch',
    'val_loss': evaluate(model, valid), 'test_loss': evaluate(model, test),
    'train_loss': sum(losses[-50:]) / len(losses[-50:]), 'cell': a.cell, 'steps': a.steps,
    'ms_per_step': round(seconds / a.steps * 1000, 2), 'seed': a.seed, 'seconds': round(seconds, 3),
}, separators=(',', ':')), flush=True)
