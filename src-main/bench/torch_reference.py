"""PyTorch reference for `npm run bench:compare`: the workbench's MLP and conv VAEs, trained the same way.

Runs as a child of bench-compare and answers one JSON line per request on stdin, so the two sides can be measured
interleaved (one waits while the other runs). A benchmark dependency only: Debian's python3-torch with
libopenblas0-openmp (without the OpenMP OpenBLAS, torch links reference BLAS and is ~18x slower).

Request:  {"arch": "mlp" | "conv", "batchSize": 128, "trainSubset": 12800, "epochs": 2, "threads": 2}
Answer:   {"examplesPerSec": [...per epoch...], "cpuSeconds": [...per epoch, all threads...], "threads": 2}

Parity mode (`npm run bench:parity`, needs the test images as a second argument): the reference MLP on dynamically
binarized MNIST with PyTorch's default initialisation, its test ELBO and importance-sampled NLL:
Request:  {"mode": "parity", "seed": 0, "epochs": 5, "trainSubset": null, "nllExamples": 1000, "k": 1000, "threads": 2}
Answer:   {"testElbo": -104.4, "testRecon": ..., "testKl": ..., "nll": 99.1, "seconds": ...}

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


def binarize(intensities, generator):
    return torch.bernoulli(intensities, generator=generator)


def parity(images, test_images, request):
    """pytorch/examples vae as the workbench runs it: dynamic binarization (pixels re-drawn every epoch), the test
    split binarized once, nn.Linear's default init, loss = BCE summed over pixels + closed-form KL, batch mean."""
    seed = request["seed"]
    torch.manual_seed(seed)
    torch.set_num_threads(request.get("threads", 2))
    generator = torch.Generator().manual_seed(seed + 1000)
    model = Mlp()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    train_x = torch.from_numpy(images.astype(np.float32) / 255.0)
    subset = request.get("trainSubset") or train_x.shape[0]
    if subset < train_x.shape[0]:
        train_x = train_x[torch.randperm(train_x.shape[0], generator=generator)[:subset]]
    test_x = binarize(torch.from_numpy(test_images.astype(np.float32) / 255.0), generator)
    batch = request.get("batchSize", 128)
    start = time.perf_counter()
    for _ in range(request["epochs"]):
        data = binarize(train_x, generator)
        order = torch.randperm(subset, generator=generator)
        for i in range(0, subset, batch):
            x = data[order[i : i + batch]]
            logits, mu, logvar = model(x, torch.randn(x.shape[0], 20))
            recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
            kl = 0.5 * torch.sum(mu.pow(2) + logvar.exp() - 1 - logvar) / x.shape[0]
            optimizer.zero_grad()
            (recon + kl).backward()
            optimizer.step()
    with torch.no_grad():
        recon_sum, kl_sum = 0.0, 0.0
        for i in range(0, test_x.shape[0], 1000):
            x = test_x[i : i + 1000]
            logits, mu, logvar = model(x, torch.randn(x.shape[0], 20))
            recon_sum += F.binary_cross_entropy_with_logits(logits, x, reduction="sum").item()
            kl_sum += (0.5 * torch.sum(mu.pow(2) + logvar.exp() - 1 - logvar)).item()
        n = test_x.shape[0]
        nll = importance_sampled_nll(model, test_x[: request["nllExamples"]], request["k"])
    return {
        "testElbo": -(recon_sum + kl_sum) / n,
        "testRecon": recon_sum / n,
        "testKl": kl_sum / n,
        "nll": nll,
        "seconds": time.perf_counter() - start,
    }


def importance_sampled_nll(model, x, k, chunk=100):
    """-log p(x) by importance sampling from q(z|x) (Burda et al. 2016, eq. 8), mean over the examples."""
    h = F.relu(model.enc(x))
    mu, logvar = model.mu(h), model.logvar(h)
    log_w = []
    for _ in range(0, k, chunk):
        eps = torch.randn(chunk, *mu.shape)
        z = mu + torch.exp(0.5 * logvar) * eps
        logits = model.out(F.relu(model.dec(z)))
        log_px = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        # log p(z) - log q(z|x); the -J/2 log 2 pi terms cancel.
        log_pz = -0.5 * z.pow(2).sum(-1)
        log_qz = -0.5 * (eps.pow(2) + logvar).sum(-1)
        log_w.append(log_px + log_pz - log_qz)
    log_w = torch.cat(log_w, 0)[:k].double()
    return -(torch.logsumexp(log_w, 0) - np.log(k)).mean().item()


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: torch_reference.py TRAIN_IMAGES_IDX [TEST_IMAGES_IDX]")
    images = read_idx_images(sys.argv[1])
    test_images = read_idx_images(sys.argv[2]) if len(sys.argv) == 3 else None
    print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("mode") == "parity":
            if test_images is None:
                sys.exit("parity mode needs TEST_IMAGES_IDX")
            print(json.dumps(parity(images, test_images, request)), flush=True)
            continue
        rates, cpu = train(images, request)
        answer = {"examplesPerSec": rates, "cpuSeconds": cpu, "threads": torch.get_num_threads()}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
