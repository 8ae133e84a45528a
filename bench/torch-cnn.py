#!/usr/bin/env python3
# torch-cnn.py CSV: images/s of the issue 11 CNN (conv8k5, pool2,
# conv16k5, pool2, dense64, 10 classes; 'same' padding) in PyTorch on
# CUDA, Adam, 3 epochs, batch 32 and 256, for bench/gpu.sh.  The CSV is
# label,px0..px783.
import sys
import time

import numpy as np
import torch
import torch.nn as nn

d = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, dtype=np.float32)
y = torch.tensor(d[:, 0], dtype=torch.long).cuda()
x = torch.tensor((d[:, 1:] - d[:, 1:].mean()) / d[:, 1:].std()).reshape(-1, 1, 28, 28).cuda()
for batch in (32, 256):
    torch.manual_seed(1)
    net = nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(16 * 7 * 7, 64), nn.ReLU(),
                        nn.Linear(64, 10)).cuda()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    torch.cuda.synchronize()
    t0 = time.time()
    for epoch in range(3):
        perm = torch.randperm(len(y), device="cuda")
        for i in range(0, len(y), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
    torch.cuda.synchronize()
    t = time.time() - t0
    print("torch cuda batch %d: %.3f s, %.0f images/s" % (batch, t, 3 * len(y) / t))
