#!/usr/bin/python3
"""Train a 2-8-1 ReLU + sigmoid MLP on XOR with torch and save it for the command-line exporter.

usage: train_xor.py MODEL_PT CALIBRATION_NPY

Saves the whole module (torch.save(model)) and the calibration batch: the 4 corners plus the
centre and the 4 edge midpoints, so that the input grid spans [0, 1] and the hidden ranges come
from more than the 4 points the test then classifies.
"""
import sys

import numpy
import torch
from torch import nn


def main(argv):
    if len(argv) != 2:
        print("usage: train_xor.py MODEL_PT CALIBRATION_NPY", file=sys.stderr)
        return 2
    torch.manual_seed(0)
    torch.set_num_threads(1)  # deterministic and light on a shared machine
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
    corners = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.BCELoss()
    for _ in range(500):
        optimizer.zero_grad()
        loss = loss_fn(model(corners), labels)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        p = model(corners).squeeze(1)
    print("xor training: loss %.5f, p = %s" % (loss.item(), " ".join("%.4f" % v for v in p.tolist())))
    if not bool(((p > 0.5).float() == labels.squeeze(1)).all()):
        print("train_xor.py: the float model did not learn XOR", file=sys.stderr)
        return 1
    torch.save(model, argv[0])
    calibration = numpy.array(
        [[0, 0], [0, 1], [1, 0], [1, 1], [0.5, 0.5], [0, 0.5], [0.5, 0], [1, 0.5], [0.5, 1]], dtype=numpy.float32
    )
    numpy.save(argv[1], calibration)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
