"""A Table III/IV-style comparison: the best network of a search beside hand-designed
baselines built from our ops and trained with the same trainer on the same data.

Baselines: a small pre-activation ResNet (three stages of two residual blocks of
ReLU-conv3x3-BN, factorized-reduce shortcuts) and a stack of DARTS cells (the DARTS
normal/reduction genotypes of Table II, N = 8 with two reductions). Each is trained on
train + validation for the same epochs and reported on the test set with its params,
FLOPs and the search cost of the run (0 for the hand-designed ones).
Writes benchmarks/results/baselines.json.

    python benchmarks/baselines.py --run runs/search --epochs 20
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from torch import nn

from tsenas_pymoo import NetworkGenome, build_network
from tsenas_pymoo.evaluation import load_dataset
from tsenas_pymoo.evaluation.trainer import evaluate_accuracy, recalibrate_batchnorm, train_model
from tsenas_pymoo.export import load_genotype
from tsenas_pymoo.space.network import count_flops, count_params
from tsenas_pymoo.space.ops import FactorizedReduce, ReLUConvBN

ROOT = Path(__file__).resolve().parents[1]


class Block(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.body = nn.Sequential(ReLUConvBN(c_in, c_out, 3, stride, 1), ReLUConvBN(c_out, c_out, 3, 1, 1))
        self.shortcut = nn.Identity() if stride == 1 and c_in == c_out else FactorizedReduce(c_in, c_out)

    def forward(self, x):
        return self.body(x) + self.shortcut(x)


class SmallResNet(nn.Module):
    def __init__(self, in_channels, num_classes, width):
        super().__init__()
        layers = [nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width)]
        c = width
        for stage in range(3):
            out = width * 2 ** stage
            layers += [Block(c, out, 1 if stage == 0 else 2), Block(out, out, 1)]
            c = out
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1))


def train_and_test(name, model, data, epochs, seed, device, search_seconds):
    params, flops = count_params(model), count_flops(model, data.input_shape)
    x, y = data.full_train()
    start = time.perf_counter()
    result = train_model(model, x, y, epochs=epochs, seed=seed, device=device)
    recalibrate_batchnorm(model, x, device=device)
    accuracy = evaluate_accuracy(model, data.test_x, data.test_y, device=device) if result.ok else 0.0
    row = {"model": name, "test_error": 1 - accuracy, "params": params, "flops": flops, "epochs": epochs,
           "train_seconds": time.perf_counter() - start, "search_seconds": search_seconds}
    print(f"{name:28s} error {row['test_error']:.4f}  params {params:,}  FLOPs {flops:,}", flush=True)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="a run directory written by tsenas search")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    run = Path(args.run)
    genome, meta = load_genotype(run / "best_genotype.json")
    config = json.loads((run / "config.json").read_text())
    data = load_dataset(config["dataset"], config.get("root"), seed=config["seed"],
                        train_subset=config.get("train_subset"), resolution=config.get("resolution"))
    width = meta["init_channels"]
    with __import__("sqlite3").connect(run / "archive.sqlite") as conn:
        search_seconds = conn.execute("SELECT SUM(seconds) FROM evaluations").fetchone()[0] or 0.0
    rows = []
    torch.manual_seed(args.seed)
    rows.append(train_and_test("TS-ENAS best (this run)", build_network(genome, data.input_shape, data.num_classes,
                                                                       width), data, args.epochs, args.seed,
                               args.device, search_seconds))
    torch.manual_seed(args.seed)
    rows.append(train_and_test("small ResNet (hand-designed)", SmallResNet(data.input_shape[0], data.num_classes,
                                                                           width), data, args.epochs, args.seed,
                               args.device, 0.0))
    darts = NetworkGenome.from_cells([3, 3, 7, 3, 3, 7, 3, 3])
    torch.manual_seed(args.seed)
    rows.append(train_and_test("DARTS cells x8 (hand-picked)", build_network(darts, data.input_shape,
                                                                            data.num_classes, width),
                               data, args.epochs, args.seed, args.device, 0.0))
    out = {"dataset": data.name, "data": {k: v for k, v in data.settings().items() if k not in ("mean", "std")},
           "run": str(run), "genome": genome.key(), "init_channels": width, "rows": rows}
    (ROOT / "benchmarks" / "results" / "baselines.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
