"""PyTorch reference for `npm run bench:compare`: the workbench's MLP and conv VAEs, trained the same way.

Runs as a child of bench-compare and answers one JSON line per request on stdin, so the two sides can be measured
interleaved (one waits while the other runs). A benchmark dependency only: Debian's python3-torch with
libopenblas0-openmp (without the OpenMP OpenBLAS, torch links reference BLAS and is ~18x slower).

Request:  {"arch": "mlp" | "conv", "batchSize": 128, "trainSubset": 12800, "epochs": 2, "threads": 2}
Answer:   {"examplesPerSec": [...per epoch...], "cpuSeconds": [...per epoch, all threads...], "threads": 2}

The models follow src-main/training/model.ts: MLP 784-512-20 (ReLU), Gaussian q(z|x), Bernoulli decoder on logits;
conv: 4x4 stride-2 pad-1 convs 1->32->64 (ReLU), dense to mu and log sigma^2; decoder dense -> 64x7x7 (ReLU),
nearest x2 upsample + 3x3 conv 64->32 (ReLU), x2 upsample + 3x3 conv 32->1. Loss: BCE summed over pixels + KL,
both averaged over the batch; Adam 1e-3. Pixels are intensities in [0, 1] (the workbench's default, no binarization).
"""

import json
import struct
import sys
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def read_idx_images(path):
    with open(path, "rb") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 2051:
            raise ValueError(f"{path}: magic {magic} is not an idx3 image file (2051)")
        data = np.frombuffer(f.read(), dtype=np.uint8)
    if data.size != count * rows * cols:
        raise ValueError(f"{path}: header says {count}x{rows}x{cols} bytes, the file has {data.size}")
    return data.reshape(count, rows * cols)


class Mlp(nn.Module):
    def __init__(self, pixels=784, hidden=512, latent=20):
        super().__init__()
        self.enc = nn.Linear(pixels, hidden)
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.dec = nn.Linear(latent, hidden)
        self.out = nn.Linear(hidden, pixels)

    def forward(self, x, eps):
        h = F.relu(self.enc(x))
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * eps
        return self.out(F.relu(self.dec(z))), mu, logvar


class Conv(nn.Module):
    def __init__(self, latent=20, channels=(32, 64)):
        super().__init__()
        c1, c2 = channels
        self.conv0 = nn.Conv2d(1, c1, 4, stride=2, padding=1)
        self.conv1 = nn.Conv2d(c1, c2, 4, stride=2, padding=1)
        self.mu = nn.Linear(c2 * 49, latent)
        self.logvar = nn.Linear(c2 * 49, latent)
        self.dec = nn.Linear(latent, c2 * 49)
        self.dconv0 = nn.Conv2d(c2, c1, 3, padding=1)
        self.dconv1 = nn.Conv2d(c1, 1, 3, padding=1)
        self.c2 = c2

    def forward(self, x, eps):
        n = x.shape[0]
        h = F.relu(self.conv1(F.relu(self.conv0(x.view(n, 1, 28, 28))))).reshape(n, -1)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * eps
        m = F.relu(self.dec(z)).view(n, self.c2, 7, 7)
        m = F.relu(self.dconv0(F.interpolate(m, scale_factor=2, mode="nearest")))
        m = self.dconv1(F.interpolate(m, scale_factor=2, mode="nearest"))
        return m.reshape(n, -1), mu, logvar


def train(images, request):
    torch.manual_seed(0)
    torch.set_num_threads(request.get("threads", 2))
    model = Mlp() if request["arch"] == "mlp" else Conv()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    subset = request.get("trainSubset") or images.shape[0]
    data = torch.from_numpy(images[:subset].astype(np.float32) / 255.0)
    batch = request["batchSize"]
    rates, cpu = [], []
    for _ in range(request.get("epochs", 1)):
        order = torch.randperm(subset)
        start = time.perf_counter()
        cpu_start = time.process_time()
        for i in range(0, subset, batch):
            x = data[order[i : i + batch]]
            eps = torch.randn(x.shape[0], 20)
            logits, mu, logvar = model(x, eps)
            recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
            # KL(q || N(0, I)) in closed form (Kingma & Welling 2014, appendix B), averaged over the batch.
            kl = 0.5 * torch.sum(mu.pow(2) + logvar.exp() - 1 - logvar) / x.shape[0]
            loss = recon + kl
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        rates.append(subset / (time.perf_counter() - start))
        cpu.append(time.process_time() - cpu_start)
    return rates, cpu


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: torch_reference.py TRAIN_IMAGES_IDX")
    images = read_idx_images(sys.argv[1])
    print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        rates, cpu = train(images, request)
        answer = {"examplesPerSec": rates, "cpuSeconds": cpu, "threads": torch.get_num_threads()}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
