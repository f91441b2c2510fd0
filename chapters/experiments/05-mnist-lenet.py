# LeNet-5 on the book's MNIST split, in PyTorch: the reference for the results
# table of chapters/05-convolutional-networks.md ("LeNet-5 on MNIST").
#
# Same data, split, architecture, initialisation, optimiser, schedule, epochs
# and batch as `backprop train cnn --dataset mnist`:
#   - reads Sources/Datasets/mnist-5k-{images-idx3,labels-idx1}-ubyte itself;
#   - reproduces the Swift split exactly (Datasets/StratifiedSplit.swift):
#     SplitMix64 seeding xoshiro256**, Lemire's bounded integers, Fisher-Yates
#     from the back; split seed 5; 350 / 50 / 100 per class, then each part
#     shuffled (`--print-split` prints the first indices, which
#     Tests/05-convolutional-networks/IDXFileTests.swift checks the Swift
#     split against);
#   - pixels / 255; conv 5x5 -> 6 (pad 2), ReLU, max-pool 2, conv 5x5 -> 16,
#     ReLU, max-pool 2, 400 -> 120 -> 84 -> 10 with ReLU, dropout 0.25 before
#     the output layer;
#   - He-uniform weights U(-a, a), a = sqrt(6 / fan_in), for the convolutions
#     and hidden linear layers, Xavier-uniform a = sqrt(6 / (fan_in + fan_out))
#     for the output layer, zero biases;
#   - Adam (0.9, 0.999, 1e-8), peak rate 0.002, cosine per epoch to 0.0001
#     (eta_t = min + (peak - min)(1 + cos(pi t / T)) / 2 for epoch t of T),
#     20 epochs of batch 64, a fresh shuffle each epoch, float32.
# What cannot be the same: the random numbers of the initial weights and the
# minibatch order (PyTorch's generator, seeded with the run's seed).
#
#   pip install torch
#   python3 chapters/experiments/05-mnist-lenet.py --seeds 1 2 3 4 5
#   python3 chapters/experiments/05-mnist-lenet.py --print-split
import argparse, json, math, os, statistics, time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "../../Sources/Datasets")
M64 = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed): self.s = seed & M64
    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)


class Xoshiro256StarStar:
    def __init__(self, seed):
        m = SplitMix64(seed)
        self.s = [m.next() for _ in range(4)]
    @staticmethod
    def rotl(x, k): return ((x << k) | (x >> (64 - k))) & M64
    def next(self):
        s = self.s
        result = (self.rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return result
    def below(self, bound):  # Lemire: the high word of a 64x64 product, rejecting the biased low products
        product = self.next() * bound
        if (product & M64) < bound:
            threshold = ((1 << 64) - bound) % bound
            while (product & M64) < threshold:
                product = self.next() * bound
        return product >> 64
    def shuffle(self, a):
        for i in range(len(a) - 1, 0, -1):
            j = self.below(i + 1)
            a[i], a[j] = a[j], a[i]
    def permutation(self, n):
        p = list(range(n)); self.shuffle(p); return p


def read_idx(path, magic, dims):
    b = open(path, "rb").read()
    assert int.from_bytes(b[0:4], "big") == magic, path
    sizes = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    header = 4 + 4 * dims
    assert len(b) == header + math.prod(sizes), path
    return sizes, b[header:]


def stratified_split(labels, train_fraction=0.7, validation_fraction=0.1, seed=5, classes=10):
    rng = Xoshiro256StarStar(seed)
    train, validation, test = [], [], []
    for k in range(classes):
        rows = [i for i, y in enumerate(labels) if y == k]
        p = rng.permutation(len(rows))
        # Swift's rounded() rounds halves away from zero; none occur for 500 per class.
        n_train = int(math.floor(len(rows) * train_fraction + 0.5))
        n_val = int(math.floor(len(rows) * validation_fraction + 0.5))
        train += [rows[j] for j in p[:n_train]]
        validation += [rows[j] for j in p[n_train:n_train + n_val]]
        test += [rows[j] for j in p[n_train + n_val:]]
    rng.shuffle(train); rng.shuffle(validation); rng.shuffle(test)
    return train, validation, test


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--dropout", type=float, default=0.25)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--print-split", action="store_true")
    a = ap.parse_args()

    (n, rows, cols), pixels = read_idx(os.path.join(DATA, "mnist-5k-images-idx3-ubyte"), 0x803, 3)
    (m,), label_bytes = read_idx(os.path.join(DATA, "mnist-5k-labels-idx1-ubyte"), 0x801, 1)
    assert n == m == 5000 and rows == cols == 28
    labels = list(label_bytes)
    train, validation, test = stratified_split(labels)
    if a.print_split:
        print("train", train[:5]); print("validation", validation[:5]); print("test", test[:5])
        return

    import torch, torch.nn as nn, torch.nn.functional as F
    torch.set_num_threads(a.threads)
    x_all = torch.tensor(list(pixels), dtype=torch.float32).view(n, 1, 28, 28) / 255
    y_all = torch.tensor(labels)
    parts = {name: (x_all[idx], y_all[idx]) for name, idx in
             (("train", train), ("validation", validation), ("test", test))}

    def lenet():
        net = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Dropout(a.dropout), nn.Linear(84, 10))
        layers = [l for l in net if isinstance(l, (nn.Conv2d, nn.Linear))]
        with torch.no_grad():
            for i, l in enumerate(layers):
                fan_in = l.weight[0].numel()
                fan_out = l.weight.shape[0] * l.weight[0, 0].numel()
                a_ = math.sqrt(6 / (fan_in + fan_out)) if i == len(layers) - 1 else math.sqrt(6 / fan_in)
                l.weight.uniform_(-a_, a_); l.bias.zero_()
        return net

    def evaluate(net, name):
        x, y = parts[name]
        with torch.no_grad():
            z = net(x)
            return (z.argmax(1) == y).float().mean().item(), F.cross_entropy(z, y).item()

    results = []
    for seed in a.seeds:
        torch.manual_seed(seed)
        start = time.time()
        net = lenet()
        assert sum(p.numel() for p in net.parameters()) == 61706
        opt = torch.optim.Adam(net.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
        x, y = parts["train"]
        net.train()
        lo = a.lr / 20
        for epoch in range(a.epochs):
            for g in opt.param_groups:
                g["lr"] = lo + 0.5 * (a.lr - lo) * (1 + math.cos(math.pi * epoch / a.epochs))
            order = torch.randperm(len(y))
            for s in range(0, len(y), a.batch):
                b = order[s:s + a.batch]
                opt.zero_grad()
                F.cross_entropy(net(x[b]), y[b]).backward()
                opt.step()
        seconds = time.time() - start
        net.eval()
        r = {"seed": seed, "train_accuracy": evaluate(net, "train")[0], "validation_accuracy": evaluate(net, "validation")[0],
             "test_accuracy": evaluate(net, "test")[0], "test_loss": evaluate(net, "test")[1], "seconds": seconds}
        results.append(r)
        print(json.dumps(r))
    acc = [r["test_accuracy"] * 100 for r in results]
    std = statistics.stdev(acc) if len(acc) > 1 else 0
    print(f"PyTorch LeNet-5, {len(acc)} seeds: test accuracy {statistics.mean(acc):.2f} ± {std:.2f} % (sample std), "
          f"{statistics.mean(r['seconds'] for r in results):.1f} s per run")


if __name__ == "__main__":
    main()
