"""Training throughput of TorchEvaluator's trainer against a plain PyTorch loop.

Same decoded network (same initial weights), same data, same process; runs interleaved
and repeated, median images/s reported. Two variants of our trainer are measured: the
default (channels_last; bf16 autocast on CUDA) and the same loop in plain NCHW, fp32,
which isolates the trainer's own overhead. Writes benchmarks/results/throughput.json.

    python benchmarks/throughput.py            # CPU (or CUDA when present)
    python benchmarks/throughput.py --quick    # fewer repeats
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import statistics
import time
from pathlib import Path

import torch
from torch import nn

from tsenas_pymoo import NetworkGenome, build_network
from tsenas_pymoo.evaluation.data import from_arrays, load_dataset
from tsenas_pymoo.evaluation.trainer import pick_device, train_model

GENOMES = {
    "darts-chain": [3, 7, 3, 3],
    "mixed": [1, 5, 2, 6, 3],
    "nasnet-cars": [2, 8, 4, 2],
}
RESULTS = Path(__file__).resolve().parent / "results"


def plain_loop(model, x, y, epochs, batch_size, lr, device):
    """The hand-written baseline: tensors on the device, sliced batches, SGD + cosine."""
    model.to(device).train()
    x, y = x.to(device), y.to(device)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=3e-4)
    steps = len(y) // batch_size
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(0)
    images = 0
    start = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(len(y), generator=g).to(device)
        for s in range(steps):
            idx = perm[s * batch_size:(s + 1) * batch_size]
            loss = loss_fn(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            images += len(idx)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return images / (time.perf_counter() - start)


def ours(model, x, y, epochs, batch_size, lr, device, **kw):
    r = train_model(model, x, y, epochs=epochs, batch_size=batch_size, lr=lr, device=device, **kw)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return r.images / r.seconds


def measure(name, codes, x, y, shape, epochs, repeats, batch_size, device, init_channels):
    genome = NetworkGenome.from_cells(codes)
    torch.manual_seed(0)
    base = build_network(genome, shape, 10, init_channels)
    runs = {"plain": [], "ours_default": [], "ours_nchw_fp32": []}
    # the truncated last batch is dropped by both loops (sizes chosen as multiples)
    n = (len(y) // batch_size) * batch_size
    x, y = x[:n].to(device), y[:n].to(device)
    variants = {
        "plain": lambda: plain_loop(copy.deepcopy(base), x, y, epochs, batch_size, 0.05, device),
        "ours_default": lambda: ours(copy.deepcopy(base), x, y, epochs, batch_size, 0.05, device),
        "ours_nchw_fp32": lambda: ours(copy.deepcopy(base), x, y, epochs, batch_size, 0.05, device,
                                       amp=False, channels_last=False),
    }
    for run in variants.values():  # warm-up (allocator, kernels), not recorded
        run()
    names = list(variants)
    for r in range(repeats):  # interleaved, rotating the order so no variant always goes first
        for variant in names[r % 3:] + names[:r % 3]:
            runs[variant].append(variants[variant]())
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {"genome": name, "codes": codes, "input_shape": list(shape), "images_per_s": med,
            "ratio_default_vs_plain": med["ours_default"] / med["plain"],
            "ratio_nchw_fp32_vs_plain": med["ours_nchw_fp32"] / med["plain"], "runs": runs}


def plot(out: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rows = out["rows"]
    labels = [f"{r['dataset'].replace('random-', '')}\n{r['genome']}" for r in rows]
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for i, (key, name) in enumerate((("plain", "plain PyTorch loop"), ("ours_nchw_fp32", "ours, NCHW fp32"),
                                     ("ours_default", "ours, default (channels_last)"))):
        ax.bar(x + (i - 1) * 0.27, [r["images_per_s"][key] for r in rows], 0.27, label=name)
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("training images / s")
    ax.set_title(f"Trainer throughput on {out['device']} ({out['threads']} threads), width {out['init_channels']}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--plot-only", action="store_true", help="redraw plots/throughput.png from the JSON")
    parser.add_argument("--device", default=None)
    parser.add_argument("--init-channels", type=int, default=16)
    parser.add_argument("--out", default=str(RESULTS / "throughput.json"))
    args = parser.parse_args(argv)
    plot_path = Path(__file__).resolve().parents[1] / "plots" / "throughput.png"
    if args.plot_only:
        plot(json.loads(Path(args.out).read_text()), plot_path)
        return
    device = pick_device(args.device)
    repeats = 3 if args.quick else 5
    digits = load_dataset("digits")
    g = torch.Generator().manual_seed(0)
    n_random = 1024 if device.type == "cpu" else 8192
    random28 = from_arrays(torch.rand(n_random, 1, 28, 28, generator=g).numpy(),
                           (torch.arange(n_random) % 10).numpy(), name="random-1x28x28")
    rows = []
    for data, epochs in ((digits, 2), (random28, 1)):
        for name, codes in GENOMES.items():
            row = measure(name, codes, data.train_x, data.train_y, data.input_shape, epochs, repeats, 128, device,
                          args.init_channels)
            row["dataset"] = data.name
            rows.append(row)
            print(f"{data.name:16s} {name:12s} plain {row['images_per_s']['plain']:8.0f}  "
                  f"ours {row['images_per_s']['ours_default']:8.0f} (x{row['ratio_default_vs_plain']:.2f})  "
                  f"ours-nchw-fp32 {row['images_per_s']['ours_nchw_fp32']:8.0f} (x{row['ratio_nchw_fp32_vs_plain']:.2f})")
    out = {"device": str(device), "device_name": torch.cuda.get_device_name() if device.type == "cuda"
           else platform.processor() or platform.machine(), "torch": torch.__version__,
           "threads": torch.get_num_threads(), "init_channels": args.init_channels, "batch_size": 128,
           "rows": rows,
           "min_ratio_default_vs_plain": min(r["ratio_default_vs_plain"] for r in rows),
           "min_ratio_nchw_fp32_vs_plain": min(r["ratio_nchw_fp32_vs_plain"] for r in rows)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1))
    plot(out, plot_path)
    print(f"min ratio default/plain {out['min_ratio_default_vs_plain']:.3f}, "
          f"nchw-fp32/plain {out['min_ratio_nchw_fp32_vs_plain']:.3f} -> {args.out}")


if __name__ == "__main__":
    main()
