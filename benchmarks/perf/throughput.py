"""Training throughput of TorchEvaluator's trainer against hand-written PyTorch loops.

Like for like: the reference loop ("like") uses the same memory format (channels_last),
the same data placement (tensors on the device, batches sliced there), the same batch,
the same precision (bf16 autocast on CUDA, fp32 on CPU), the same optimizer and cosine
schedule and the same per-epoch shuffle as our trainer; it only leaves out what the
trainer adds (NaN check, loss bookkeeping, out-of-memory restart point, warm-up option).
A second baseline, the "naive" loop, is the common NCHW fp32 loop, reported for what it
is: a different memory format and precision. Each measurement is at least ``--steps``
optimizer steps (default 100), timed around the whole call (what a user waits for);
variants run interleaved with a rotating order, median of ``--repeats``.

    python -m benchmarks.perf.throughput              # CPU (or CUDA when present)
    python -m benchmarks.perf.throughput --profile    # also a cProfile summary of each loop
    python -m benchmarks.perf.throughput --plot-only  # redraw plots/throughput.png

Writes benchmarks/results/throughput.json (``--out``) and plots/throughput.png.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import json
import platform
import pstats
import statistics
import time
from pathlib import Path

import torch
from torch import nn

from benchmarks.common import NO_SELECTION, PLOTS, RESULTS, write_result
from tsenas_pymoo import NetworkGenome, build_network
from tsenas_pymoo.evaluation.data import from_arrays, load_dataset
from tsenas_pymoo.evaluation.trainer import pick_device, train_model

GENOMES = {
    "darts-chain": [3, 7, 3, 3],
    "mixed": [1, 5, 2, 6, 3],
    "nasnet-cars": [2, 8, 4, 2],
}
VARIANTS = ("ours", "like", "naive")
LABELS = {"ours": "ours (train_model defaults)", "like": "like-for-like loop", "naive": "naive loop (NCHW fp32)"}

LR = 0.05


def hand_loop(model, x, y, epochs, batch_size, device, channels_last=True, amp=True):
    """The hand-written reference. With the defaults it does what ``train_model`` does per
    step; ``channels_last=False, amp=False`` is the naive NCHW fp32 loop."""
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model.to(device, memory_format=fmt).train()
    x, y = x.to(device, memory_format=fmt), y.to(device)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9, weight_decay=3e-4)
    steps = len(y) // batch_size
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(0)
    use_amp = amp and device.type == "cuda"
    for _ in range(epochs):
        perm = torch.randperm(len(y), generator=g).to(device)
        for s in range(steps):
            idx = perm[s * batch_size : (s + 1) * batch_size]
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                loss = loss_fn(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()


def _synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device) -> float:
    _synchronize(device)
    start = time.perf_counter()
    fn()
    _synchronize(device)
    return time.perf_counter() - start


def batches(n_available: int, batch_size: int, steps: int) -> tuple[int, int]:
    """(images, epochs) giving at least ``steps`` full batches from ``n_available`` images."""
    per_epoch = max(1, min(n_available // batch_size, steps))
    return per_epoch * batch_size, -(-steps // per_epoch)


def variants(base, x, y, epochs, batch_size, device) -> dict:
    return {
        "ours": lambda: train_model(
            copy.deepcopy(base), x, y, epochs=epochs, batch_size=batch_size, lr=LR, device=device
        ),
        "like": lambda: hand_loop(copy.deepcopy(base), x, y, epochs, batch_size, device),
        "naive": lambda: hand_loop(
            copy.deepcopy(base), x, y, epochs, batch_size, device, channels_last=False, amp=False
        ),
    }


def measure(name, codes, data, steps, repeats, batch_size, device, init_channels) -> dict:
    genome = NetworkGenome.from_cells(codes)
    torch.manual_seed(0)
    base = build_network(genome, data.input_shape, data.num_classes, init_channels)
    n, epochs = batches(len(data.train_y), batch_size, steps)
    x, y = data.train_x[:n].to(device), data.train_y[:n].to(device)
    runs = {k: [] for k in VARIANTS}
    fns = variants(base, x, y, epochs, batch_size, device)
    for fn in fns.values():  # warm-up (allocator, kernels, autotuning), not recorded
        fn()
    for r in range(repeats):  # interleaved, rotating so no variant always goes first
        for variant in VARIANTS[r % 3 :] + VARIANTS[: r % 3]:
            runs[variant].append(n * epochs / timed(fns[variant], device))
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {
        "genome": name,
        "codes": codes,
        "dataset": data.name,
        "input_shape": list(data.input_shape),
        "init_channels": init_channels,
        "batch_size": batch_size,
        "steps": epochs * (n // batch_size),
        "images_per_s": med,
        "ratio_vs_like": med["ours"] / med["like"],
        "ratio_vs_naive": med["ours"] / med["naive"],
        "runs": runs,
    }


def profile(name, codes, data, steps, batch_size, device, init_channels, top: int = 12) -> dict:
    """cProfile of ours and the like-for-like loop on one row: the functions with the most
    own time, and the time outside torch's kernels that only ours spends."""
    genome = NetworkGenome.from_cells(codes)
    torch.manual_seed(0)
    base = build_network(genome, data.input_shape, data.num_classes, init_channels)
    n, epochs = batches(len(data.train_y), batch_size, steps)
    fns = variants(base, data.train_x[:n].to(device), data.train_y[:n].to(device), epochs, batch_size, device)
    out = {"genome": name, "dataset": data.name, "steps": epochs * (n // batch_size)}
    own = {}
    for key in ("ours", "like"):
        fns[key]()
        prof = cProfile.Profile()
        prof.runcall(fns[key])
        stats = pstats.Stats(prof, stream=io.StringIO())
        own[key] = {_where(*k): (nc, tt) for k, (_, nc, tt, _, _) in stats.stats.items()}
        rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]
        out[key] = {
            "total_s": stats.total_tt,
            "top_own_time": [
                {"function": _where(*k), "calls": nc, "own_s": tt, "cumulative_s": ct} for k, (_, nc, tt, ct, _) in rows
            ],
        }
    extra = {f: (nc, tt - own["like"].get(f, (0, 0.0))[1]) for f, (nc, tt) in own["ours"].items()}
    out["ours_minus_like"] = [
        {"function": f, "calls": nc, "extra_own_s": dt}
        for f, (nc, dt) in sorted(extra.items(), key=lambda kv: -kv[1][1])[:top]
    ]
    return out


def _where(path: str, line: int, function: str) -> str:
    return f"{Path(path).name}:{line}({function})"


def datasets(names, device):
    """The data sets of the rows: digits (8x8), Fashion-MNIST at 28x28 and 14x14, CIFAR-sized
    random tensors (3x32x32)."""
    for name in names:
        if name == "digits":
            yield load_dataset("digits")
        elif name.startswith("fashion-mnist"):
            res = int(name.split("@")[1]) if "@" in name else None
            data = load_dataset("fashion-mnist", train_subset=14300, resolution=res)
            data.name = f"fashion-mnist {data.input_shape[1]}x{data.input_shape[2]}"
            yield data
        elif name == "random-3x32x32":
            g = torch.Generator().manual_seed(0)
            n = 12800
            yield from_arrays(torch.rand(n, 3, 32, 32, generator=g).numpy(), (torch.arange(n) % 10).numpy(), name=name)
        else:
            raise ValueError(f"--data {name!r}; rule: digits, fashion-mnist, fashion-mnist@R or random-3x32x32")


def plot(out: dict, path: Path) -> None:
    import numpy as np
    from matplotlib.figure import Figure

    rows = out["rows"]
    labels = [f"{r['dataset']}\n{r['genome']}, w{r['init_channels']}" for r in rows]
    x = np.arange(len(rows))
    fig = Figure(figsize=(max(8, 1.1 * len(rows)), 4))
    ax = fig.subplots()
    for i, key in enumerate(VARIANTS):
        ax.bar(x + (i - 1) * 0.27, [r["images_per_s"][key] for r in rows], 0.27, label=LABELS[key])
    ax.set_xticks(x, labels, fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel("training images / s")
    ax.set_title(
        f"Trainer throughput on {out['device_name']} ({out['threads']} threads), batch {out['batch_size']}, "
        f">= {out['steps']} steps"
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def run(device, data_names, genomes, widths, steps, repeats, batch_size=128, log=print) -> dict:
    """The throughput table: one row per (data, genome, width)."""
    rows = []
    for data in datasets(data_names, device):
        for width in widths:
            for name in genomes:
                row = measure(name, GENOMES[name], data, steps, repeats, batch_size, device, width)
                rows.append(row)
                ips = row["images_per_s"]
                log(
                    f"{data.name:22s} {name:12s} w{width:<3d} like {ips['like']:8.0f}  ours {ips['ours']:8.0f} "
                    f"(x{row['ratio_vs_like']:.3f})  naive {ips['naive']:8.0f}"
                )
    return {
        "device": str(device),
        "device_name": device_name(device),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "batch_size": batch_size,
        "steps": steps,
        "repeats": repeats,
        "rows": rows,
        "min_ratio_vs_like": min(r["ratio_vs_like"] for r in rows),
        "max_ratio_vs_like": max(r["ratio_vs_like"] for r in rows),
    }


def device_name(device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return platform.processor() or platform.machine()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None)
    parser.add_argument("--data", nargs="+", default=["digits", "fashion-mnist", "fashion-mnist@14"])
    parser.add_argument("--genomes", nargs="+", default=list(GENOMES), choices=list(GENOMES))
    parser.add_argument("--widths", nargs="+", type=int, default=[16])
    parser.add_argument("--steps", type=int, default=100, help="optimizer steps per measurement (at least)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="add a cProfile summary of the first row")
    parser.add_argument("--plot-only", action="store_true", help="redraw plots/throughput.png from the JSON")
    parser.add_argument("--out", default=str(RESULTS / "throughput.json"))
    args = parser.parse_args(argv)
    plot_path = PLOTS / Path(args.out).with_suffix(".png").name
    if args.plot_only:
        plot(json.loads(Path(args.out).read_text()), plot_path)
        return
    device = pick_device(args.device)
    out = run(device, args.data, args.genomes, args.widths, args.steps, args.repeats)
    if args.profile:
        first = out["rows"][0]
        data = next(datasets([args.data[0]], device))
        out["profile"] = profile(first["genome"], first["codes"], data, args.steps, 128, device, first["init_channels"])
    write_result(Path(args.out), {**out, "splits": NO_SELECTION})
    plot(out, plot_path)
    print(f"ours / like-for-like: {out['min_ratio_vs_like']:.3f} .. {out['max_ratio_vs_like']:.3f} -> {args.out}")


if __name__ == "__main__":
    main()
