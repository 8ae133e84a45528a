# cnn_torch.py: the reference for bench/cnn.sh, PyTorch on the CPU with
# one thread training the network of fl-init(1)'s CNN example
# (cnn:conv8k5,pool2,conv16k5,pool2,dense64 on 1x28x28, ten classes) as
# fl-train does: Adam (lr 0.001), batch 32, shuffled each epoch, pixels
# standardised by one mean and scale.  Prints "train=SECONDS" (the CPU
# time of the epochs' loop alone) and "loss=LOSS" (the last epoch's mean)
# on stdout.
# usage: /usr/bin/python3 bench/cnn_torch.py DIGITS.csv EPOCHS
import csv
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(1)
path, epochs = sys.argv[1], int(sys.argv[2])
with open(path) as f:
    rows = list(csv.reader(f))[1:]
y = torch.tensor([int(float(r[0])) for r in rows])
X = torch.tensor([[float(v) for v in r[1:]] for r in rows])
X = ((X - X.mean()) / X.std()).reshape(-1, 1, 28, 28)
net = torch.nn.Sequential(
    torch.nn.Conv2d(1, 8, 5, padding=2), torch.nn.ReLU(),
    torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(8, 16, 5, padding=2), torch.nn.ReLU(),
    torch.nn.MaxPool2d(2),
    torch.nn.Flatten(), torch.nn.Linear(784, 64), torch.nn.ReLU(),
    torch.nn.Linear(64, 10))
opt = torch.optim.Adam(net.parameters(), lr=0.001)
lossf = torch.nn.CrossEntropyLoss()
t0 = time.process_time()
for e in range(epochs):
    perm = torch.randperm(len(y))
    tot = 0.0
    for i in range(0, len(y), 32):
        idx = perm[i:i + 32]
        opt.zero_grad()
        loss = lossf(net(X[idx]), y[idx])
        loss.backward()
        opt.step()
        tot += loss.item() * len(idx)
print("train=%.6f" % (time.process_time() - t0))
print("loss=%.6f" % (tot / len(y)))
