"""The ``tsenas`` command line.

* ``tsenas search``: a whole two-stage search in a run directory (``--resume RUN_DIR``
  continues one that was interrupted).
* ``tsenas train GENOTYPE.json``: post-train a saved genotype and report its test error.
* ``tsenas plot RUN_DIR``: the convergence (Fig. 4a) and trajectory (Fig. 4b) plots.
* ``tsenas describe CODE [CODE ...]``: decode a chain of Table II cell codes and report
  its depth, reductions, parameters and FLOPs.
"""

from __future__ import annotations

import argparse
import sys


def _shape(text: str) -> tuple[int, int, int]:
    try:
        shape = tuple(int(v) for v in text.lower().split("x"))
    except ValueError:
        shape = ()
    if len(shape) != 3 or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: rule: CxHxW with positive integers, e.g. 1x28x28")
    return shape


def _at_least(low: int):
    """An argparse type: an integer >= ``low``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low:
            raise argparse.ArgumentTypeError(f"{text!r}: rule: an integer >= {low}")
        return value

    return parse


_positive, _count = _at_least(1), _at_least(0)


def _data_options(parser, what: str) -> None:
    parser.add_argument("--train-subset", type=_positive, default=None, metavar="N",
                        help=f"proxy: a seeded, stratified subset of N training images {what}")
    parser.add_argument("--resolution", type=_positive, default=None, metavar="R",
                        help=f"proxy: area-downsample every split to R pixels a side {what}")


def _thread_options(parser, policies) -> None:
    parser.add_argument("--threads", type=_positive, default=None,
                        help="torch threads per training process (default: usable cores / processes)")
    parser.add_argument("--wait-policy", default="auto", choices=policies,
                        help="how idle OpenMP threads wait; auto: passive when the cores are oversubscribed or "
                             "busy with other work at start, else OpenMP's default")


def _recipe_options(parser) -> None:
    parser.add_argument("--cutout", type=_count, default=0, metavar="PIXELS", help="final training: cutout side")
    parser.add_argument("--label-smoothing", type=float, default=0.0, help="final training: label smoothing")


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage block): ``tsenas search: error: ...``."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from .config import SearchConfig
    from .threads import WAIT_POLICIES

    d = SearchConfig()
    parser = _Parser(prog="tsenas", description="TS-ENAS neural architecture search on pymoo")
    sub = parser.add_subparsers(dest="command", required=True)
    search = sub.add_parser("search", help="run a two-stage search (default: digits, a few minutes on 2 CPUs)",
                            formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    search.add_argument("--dataset", default=d.dataset,
                        help="digits, fashion-mnist (offline: apt-get install dataset-fashion-mnist), mnist, idx "
                             "(--root FOLDER of IDX files), cifar10, cifar100, or a folder of class sub-folders")
    search.add_argument("--root", default=None, help="folder holding the dataset files")
    search.add_argument("--download", action="store_true", help="download the dataset into --root if missing")
    _data_options(search, "of the search's data (the final training uses the same; `tsenas train` the full data)")
    search.add_argument("--out", default="runs/search", help="run directory to create")
    search.add_argument("--resume", metavar="RUN_DIR", default=None, help="continue the search in RUN_DIR")
    search.add_argument("--seed", type=int, default=d.seed)
    search.add_argument("--pop-size", type=_positive, default=d.pop_size, help="P, stage-1 population")
    search.add_argument("--fine-size", type=_positive, default=d.fine_size, help="S, stage-2 population")
    search.add_argument("--stage1-gens", type=_positive, default=d.stage1_gens, help="T0")
    search.add_argument("--stage2-gens", type=_count, default=d.stage2_gens, help="T1")
    search.add_argument("--n-min", type=_positive, default=d.n_min, help="N_min cells")
    search.add_argument("--n-max", type=_positive, default=d.n_max, help="N_max cells")
    search.add_argument("--alpha", type=float, default=d.alpha, help="alpha-level threshold")
    search.add_argument("--epochs", type=_positive, default=d.epochs, help="short training per individual")
    search.add_argument("--supernet-epochs", type=_count, default=d.supernet_epochs)
    search.add_argument("--inheritance", default=d.inheritance, choices=["lineage", "store", "none"],
                        help="weights a network starts from: its parents' trained units then the cell store "
                             "(lineage), the cell store only (store, the paper's) or none")
    search.add_argument("--inherit-lr-scale", type=float, default=d.inherit_lr_scale,
                        help="warm start: an inherited network trains at lr times this")
    search.add_argument("--inherit-warmup", type=float, default=d.inherit_warmup,
                        help="warm start: linear warm-up over this fraction of an inherited network's steps")
    search.add_argument("--update-every", type=_positive, default=d.update_every,
                        help="update the cell store (Steps 1-4) every this many generations")
    search.add_argument("--final-epochs", type=_positive, default=d.final_epochs, help="post-training epochs")
    search.add_argument("--init-channels", type=_positive, default=d.init_channels)
    search.add_argument("--batch-size", type=_positive, default=d.batch_size)
    search.add_argument("--lr", type=float, default=d.lr)
    search.add_argument("--augment", default=d.augment, help="augmentation of the short trainings: none, auto, "
                        "crop, flip or crop,flip")
    search.add_argument("--final-augment", default=d.final_augment,
                        help="augmentation of the final training (auto: crop + flip on Fashion-MNIST and CIFAR)")
    _recipe_options(search)
    search.add_argument("--device", default=None, help="cpu, cuda, cuda:1 (default: CUDA when present)")
    search.add_argument("--objectives", default="error", choices=["error", "error,params", "error,flops"],
                        help="a second objective makes the search multi-objective (fronts, hypervolume)")
    search.add_argument("--workers", type=_count, default=0,
                        help="evaluate on a local Dask cluster of N single-threaded processes (one per GPU on CUDA)")
    search.add_argument("--scheduler", default=None, metavar="ADDRESS", help="evaluate on an existing Dask cluster")
    _thread_options(search, WAIT_POLICIES)
    search.add_argument("--verbose", action="store_true", help="print pymoo's table per generation")
    train = sub.add_parser("train", help="post-train a saved genotype and report test accuracy",
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    train.add_argument("genotype", help="a genotype JSON written by tsenas (best_genotype.json)")
    train.add_argument("--dataset", default=None, help="default: the data set the genotype was searched on")
    train.add_argument("--root", default=None)
    train.add_argument("--download", action="store_true")
    _data_options(train, "(default: the full data at full resolution)")
    train.add_argument("--augment", default="auto", help="none, auto (crop + flip on Fashion-MNIST and CIFAR), crop, "
                       "flip or crop,flip")
    _recipe_options(train)
    train.add_argument("--epochs", type=_positive, default=50)
    train.add_argument("--init-channels", type=_positive, default=None, help="default: the genotype's")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", default=None)
    train.add_argument("--out", default=None, help="folder for genotype.json and weights.safetensors")
    _thread_options(train, WAIT_POLICIES)
    plot = sub.add_parser("plot", help="write convergence.png and trajectory.png of a run directory")
    plot.add_argument("run_dir")
    describe = sub.add_parser("describe", help="decode a chain of cell codes and report its cost")
    describe.add_argument("codes", type=int, nargs="+", help="Table II cell codes 1-8, one per cell")
    describe.add_argument("--free-inputs", type=int, nargs="+", default=None,
                          help="free input of each cell (default: two cells back, or the stem)")
    describe.add_argument("--input-shape", type=_shape, default=(1, 8, 8), help="CxHxW (default 1x8x8)")
    describe.add_argument("--num-classes", type=int, default=10)
    describe.add_argument("--init-channels", type=int, default=16)
    return parser


def describe(args) -> None:
    from .space.cells import CELLS
    from .space.genome import NetworkGenome
    from .space.network import network_cost

    genome = NetworkGenome.from_cells(args.codes, args.free_inputs).validate(input_shape=args.input_shape)
    cost = network_cost(genome, args.input_shape, args.num_classes, args.init_channels)
    print(f"genome      {genome.key()}")
    for j, (code, free) in enumerate(zip(genome.codes, genome.free_inputs), start=1):
        print(f"  cell {j:2d}  {CELLS[code].name:<22s} inputs ({free}, {j - 1})")
    print(f"N           {genome.n_cells} cells, {genome.n_reductions} reduction")
    print(f"params      {cost['params']:,}")
    print(f"FLOPs       {cost['flops']:,} per image of {'x'.join(map(str, args.input_shape))}")


def search(args) -> None:
    import dataclasses
    from pathlib import Path

    from .runner import SearchConfig, SearchRun

    if args.resume:
        run = SearchRun.resume(args.resume, verbose=args.verbose, thread_policy=args.thread_policy)
    else:
        out = Path(args.out)
        if (out / "config.json").exists():
            raise ValueError(f"--out {out} already holds a search; use --resume {out} or another --out")
        fields = {f.name for f in dataclasses.fields(SearchConfig)}
        config = SearchConfig(**{k: v for k, v in vars(args).items() if k in fields})
        run = SearchRun(out, config, verbose=args.verbose, thread_policy=args.thread_policy)
    summary = run.run()
    final = summary["final"]
    print(f"best network   {summary['best_genome']}")
    print(f"validation     {summary['best_val_accuracy']:.4f} accuracy after {summary['generations']} generations, "
          f"{summary['evaluations']} networks trained")
    data = final.get("data", {})
    print(f"test           {final['test_accuracy']:.4f} accuracy ({final['test_error']:.2%} error) after "
          f"{final['epochs']} epochs; {final['params']:,} params, {final['flops']:,} FLOPs")
    if data.get("train_subset") or data.get("resolution"):
        print(f"proxy data     {data['dataset']}: {data['train'] + data['val']:,} training images at "
              f"{'x'.join(map(str, data['input_shape'][1:]))}; for the full data: "
              f"tsenas train {run.dir / 'best_genotype.json'}")
    print(f"run directory  {run.dir}  (best_genotype.json, final/weights.safetensors, convergence.png)")


def train(args) -> None:
    from .evaluation.data import load_dataset
    from .export import load_genotype, train_final

    genome, meta = load_genotype(args.genotype)
    searched = meta.get("search_data") or {}
    data = load_dataset(args.dataset or searched.get("dataset") or "digits", args.root, download=args.download,
                        seed=args.seed, train_subset=args.train_subset, resolution=args.resolution)
    if data.input_shape[0] != meta["input_shape"][0]:
        raise ValueError(f"dataset {data.name} has {data.input_shape[0]} channels but the genotype was searched on "
                         f"{meta['input_shape'][0]}; rule: a dataset with the same number of channels")
    genome.validate(input_shape=data.input_shape)
    print(f"data           {data!r}")
    report = train_final(genome, data, epochs=args.epochs, init_channels=args.init_channels or meta["init_channels"],
                         seed=args.seed, device=args.device, out_dir=args.out, progress=True, augment=args.augment,
                         cutout=args.cutout, label_smoothing=args.label_smoothing)
    print(f"test accuracy {report['test_accuracy']:.4f} ({report['test_error']:.2%} error), "
          f"{report['params']:,} params, {report['flops']:,} FLOPs, {report['epochs']} epochs, "
          f"augment {report['augment']}")


def plot(args) -> None:
    from .plotting import save_plots

    for path in save_plots(args.run_dir):
        print(path)


def set_threads(args) -> dict | None:
    """Choose and apply the thread policy before torch loads (``threads.py``); for a
    resumed search, from its config.json."""
    import json
    from pathlib import Path

    from .threads import apply_policy, choose_policy, recorded_threads

    if args.command not in ("search", "train"):
        return None
    threads, wait = args.threads, args.wait_policy
    if getattr(args, "resume", None):
        path = Path(args.resume) / "config.json"
        try:
            saved = json.loads(path.read_text()) if path.is_file() else {}
        except ValueError as err:
            raise ValueError(f"{path}: not JSON ({err})") from err
        threads, wait = recorded_threads(saved), saved.get("wait_policy", wait)
    return apply_policy(choose_policy(threads, wait))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.thread_policy = set_threads(args)
        {"describe": describe, "search": search, "train": train, "plot": plot}[args.command](args)
    except (ValueError, FileNotFoundError) as err:
        parser.exit(2, f"tsenas {args.command}: error: {err}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
