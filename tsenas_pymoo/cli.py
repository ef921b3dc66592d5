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
import json
import logging
import signal
import sys

from . import __version__


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
    parser.add_argument(
        "--train-subset",
        type=_positive,
        default=None,
        metavar="N",
        help=f"proxy: a seeded, stratified subset of N training images {what}",
    )
    parser.add_argument(
        "--resolution",
        type=_positive,
        default=None,
        metavar="R",
        help=f"proxy: area-downsample every split to R pixels a side {what}",
    )


def _thread_options(parser, policies) -> None:
    parser.add_argument(
        "--threads",
        type=_positive,
        default=None,
        help="torch threads per training process (default: usable cores / processes)",
    )
    parser.add_argument(
        "--wait-policy",
        default="auto",
        choices=policies,
        help="how idle OpenMP threads wait; auto: passive when the cores are oversubscribed or "
        "busy with other work at start, else OpenMP's default",
    )


def _alpha(text: str):
    """alpha: an accuracy difference >= 0, or "noise"."""
    if text == "noise":
        return text
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r}; rule: a number >= 0 or 'noise'")
    return value


_KINDS = {"int": int, "float": float, "positive": None, "count": None, "str": str, "alpha": _alpha}


class _Default:
    """An option's default, marked so that ``main`` can tell the options a user gave
    (a preset fills only the others); it prints as the default in ``--help``."""

    def __init__(self, value):
        self.value = value

    def __repr__(self) -> str:
        return repr(self.value)

    __str__ = __repr__


def _resolve_defaults(args) -> set[str]:
    """Replace the marked defaults by their values; the names of the options given."""
    given = set()
    for name, value in list(vars(args).items()):
        if isinstance(value, _Default):
            setattr(args, name, value.value)
        else:
            given.add(name)
    return given


def _config_options(parser) -> None:
    """One option per ``SearchConfig`` field, from its metadata (config.py)."""
    import dataclasses

    from .config import SearchConfig

    for f in dataclasses.fields(SearchConfig):
        meta = f.metadata
        flag = "--" + f.name.replace("_", "-")
        if meta["kind"] == "flag":
            parser.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=_Default(f.default), help=meta["help"]
            )
            continue
        kind = {"positive": _positive, "count": _count}.get(meta["kind"]) or _KINDS[meta["kind"]]
        choices = meta["choices"]  # shown as a|b|c: argparse's {a,b,c} is unreadable when a choice holds a comma
        metavar = "|".join(choices) if choices else None
        parser.add_argument(
            flag, type=kind, default=_Default(f.default), choices=choices, metavar=metavar, help=meta["help"]
        )


def _verbosity_options(parser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also print pymoo's table per generation and informational log lines",
    )
    group.add_argument("-q", "--quiet", action="store_true", help="no progress bars; warnings and errors only")


def _recipe_options(parser) -> None:
    parser.add_argument("--cutout", type=_count, default=0, metavar="PIXELS", help="final training: cutout side")
    parser.add_argument("--label-smoothing", type=float, default=0.0, help="final training: label smoothing")


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage block): ``tsenas search: error: ...``."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from .threads import WAIT_POLICIES

    parser = _Parser(prog="tsenas", description="TS-ENAS neural architecture search on pymoo")
    parser.add_argument("--version", action="version", version=f"tsenas {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True)
    search = sub.add_parser(
        "search",
        help="run a two-stage search (default: digits, a few minutes on 2 CPUs)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    _config_options(search)
    search.add_argument("--out", default="runs/search", help="run directory to create")
    search.add_argument(
        "--resume",
        metavar="RUN_DIR",
        default=None,
        help="continue the search in RUN_DIR (its config.json holds the settings)",
    )
    _verbosity_options(search)
    train = sub.add_parser(
        "train",
        help="post-train a saved genotype and report test accuracy",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    train.add_argument("genotype", help="a genotype JSON written by tsenas (best_genotype.json)")
    train.add_argument("--dataset", default=None, help="default: the data set the genotype was searched on")
    train.add_argument("--root", default=None)
    train.add_argument("--download", action="store_true")
    _data_options(train, "(default: the full data at full resolution)")
    train.add_argument(
        "--augment", default="auto", help="none, auto (crop + flip on Fashion-MNIST and CIFAR), crop, flip or crop,flip"
    )
    _recipe_options(train)
    train.add_argument("--epochs", type=_positive, default=50)
    train.add_argument("--init-channels", type=_positive, default=None, help="default: the genotype's")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", default=None)
    train.add_argument("--out", default=None, help="folder for genotype.json and weights.safetensors")
    _thread_options(train, WAIT_POLICIES)
    plot = sub.add_parser(
        "plot",
        help="write convergence.png and trajectory.png of a run directory; --compare: several runs on one figure",
    )
    plot.add_argument("run_dir", nargs="?", default=None)
    plot.add_argument(
        "--compare",
        nargs="+",
        metavar="RUN_DIR",
        default=None,
        help="runs to compare, grouped by algorithm (median and band over seeds)",
    )
    plot.add_argument("--out", default="compare.png", help="--compare: the figure to write")
    plot.add_argument("--cells", action="store_true", help="also draw each cell of the best network (cells.png)")
    describe = sub.add_parser("describe", help="a network's cells and cost: Table II codes or a genotype JSON")
    describe.add_argument(
        "codes", nargs="+", help="Table II cell codes 1-8, one per cell; or a genotype JSON file (best_genotype.json)"
    )
    describe.add_argument(
        "--free-inputs",
        type=int,
        nargs="+",
        default=None,
        help="free input of each cell (default: two cells back, or the stem)",
    )
    describe.add_argument("--input-shape", type=_shape, default=None, help="CxHxW (default 1x8x8, or the file's)")
    describe.add_argument("--num-classes", type=int, default=None, help="default 10, or the file's")
    describe.add_argument("--init-channels", type=int, default=None, help="default 16, or the file's")
    show = sub.add_parser("show", help="the best networks of a run, from its archive")
    show.add_argument("run_dir")
    show.add_argument("--top", type=_positive, default=10, help="how many rows")
    show.add_argument("--csv", default=None, metavar="FILE", help="also write every row to FILE as CSV")
    show.add_argument("--names", action="store_true", help="name networks by their cells (DartsNC(0,0) ...), not keys")
    export = sub.add_parser("export", help="write a trained network for inference (TorchScript, torch.export, ONNX)")
    export.add_argument("run_dir", help="a run directory (its final/) or a `tsenas train --out` folder")
    export.add_argument("--format", default="torchscript", choices=["torchscript", "pt2", "onnx"])
    export.add_argument("--out", default=None, metavar="FILE", help="default: RUN_DIR/model.<pt|pt2|onnx>")
    trust = sub.add_parser(
        "trust", help="show a run directory's checkpoint and sign it with your key, so that --resume may load it"
    )
    trust.add_argument("run_dir")
    trust.add_argument("--yes", action="store_true", help="sign without asking")
    return parser


def trust(args) -> None:
    """Show what a run directory will do on resume (its settings that matter, its
    checkpoint and who signed it) and sign it once the user says so, holding the run lock."""
    from pathlib import Path

    from filelock import FileLock, Timeout

    from .rundir import refuse_links

    run_dir = Path(args.run_dir)
    config = run_dir / "config.json"
    if not config.is_file():
        raise FileNotFoundError(f"{config} does not exist; rule: trust a run directory that tsenas search made")
    refuse_links(run_dir)
    lock = FileLock(str(run_dir / ".run.lock"), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise ValueError(
            f"run directory {run_dir} is in use by a tsenas search; rule: trust it once it stopped"
        ) from None
    try:
        signed = _trust_locked(args, run_dir, config)
    finally:
        lock.release()
    if signed:
        print(f"signed      {run_dir}; resume with: tsenas search --resume {run_dir}")


#: The settings ``tsenas trust`` shows: where a resume connects, what it reads and runs on.
TRUST_FIELDS = ("dataset", "root", "download", "scheduler", "workers", "device", "algorithm", "seed", "tsenas_version")


def _trust_locked(args, run_dir, config) -> bool:
    """The screen and the question; signs the checkpoint (if any) and the manifest."""
    from .rundir import atomic_write, read_bytes, read_text
    from .trust import clean, describe, seal, sign_manifest, unseal

    path = run_dir / "checkpoint.pkl"
    data = read_bytes(path) if path.is_file() else None
    for line in describe(data, path) if data is not None else ["checkpoint  none yet"]:
        print(line)
    try:
        saved = json.loads(read_text(config))
        if not isinstance(saved, dict):
            raise ValueError("not an object")
        print("settings    (what a resume reads, connects to and runs on)")
        for name in TRUST_FIELDS:
            print(f"  {name:14s} {clean(json.dumps(saved.get(name)))}")
    except (ValueError, UnicodeDecodeError):
        print(f"settings    {config} is not a JSON object")
    log_path = run_dir / "log.jsonl"
    done = sum(1 for line in read_text(log_path).splitlines() if line.strip()) if log_path.is_file() else 0
    print(f"progress    {done} generations logged")
    print(
        "Signing lets `tsenas search --resume` use these settings (a scheduler runs code as you and "
        "sees your data) and unpickle the checkpoint, which can run any code it names."
    )
    if not args.yes:
        if not sys.stdin.isatty():
            raise ValueError("not signed: no terminal to ask; rule: pass --yes to sign without asking")
        if input("Trust it and sign it with your key? [y/N] ").strip().lower() not in ("y", "yes"):
            print("not signed")
            return False
    if data is not None:
        atomic_write(path, seal(unseal(data)[1]), mode=0o600)
    sign_manifest(run_dir)
    return True


def describe(args) -> None:
    from .space.genome import NetworkGenome
    from .space.network import network_cost

    settings = {"input_shape": (1, 8, 8), "num_classes": 10, "init_channels": 16}
    if len(args.codes) == 1 and args.codes[0].endswith(".json"):
        from .genotype import load_genotype

        genome, meta = load_genotype(args.codes[0])
        settings.update({k: tuple(meta[k]) if k == "input_shape" else meta[k] for k in settings if meta.get(k)})
    else:
        try:
            codes = [int(c) for c in args.codes]
        except ValueError:
            raise ValueError(
                f"codes {' '.join(args.codes)}: rule: Table II cell codes 1-8, or one genotype .json file"
            ) from None
        genome = NetworkGenome.from_cells(codes, args.free_inputs)
    for name in settings:
        if getattr(args, name) is not None:
            settings[name] = getattr(args, name)
    genome.validate(input_shape=settings["input_shape"])
    cost = network_cost(genome, settings["input_shape"], settings["num_classes"], settings["init_channels"])
    print(describe_text(genome, cost, settings["input_shape"]))


def describe_text(genome, cost: dict, input_shape) -> str:
    """A genome's cells (with their edited insides) and cost, as ``tsenas describe`` prints it."""
    from .space.cells import CELLS
    from .space.genome import EMPTY_NODE
    from .space.ops import OPS

    fine = genome.expand()
    lines = [f"genome      {fine.key()}"]
    for j, (cell, free) in enumerate(zip(fine.cells, fine.free_inputs), start=1):
        lines.append(
            f"  cell {j:2d}  {CELLS[cell.code].name:<22s} inputs ({free}, {j - 1})"
            + ("" if cell.is_published else "  (edited in stage 2)")
        )
        if not cell.is_published:
            for k, node in enumerate(cell.nodes, start=2):
                text = (
                    "pruned" if node == EMPTY_NODE else f"{OPS[node[2]][0]}({node[0]}) + {OPS[node[3]][0]}({node[1]})"
                )
                lines.append(f"            node {k}: {text}")
    lines.append(f"N           {fine.n_cells} cells, {fine.n_reductions} reduction")
    lines.append(f"params      {cost['params']:,}")
    lines.append(
        f"MACs        {cost['macs']:,} multiply-adds per image of {'x'.join(map(str, input_shape))} "
        f"(the paper's 'FLOPs'; {cost['flops']:,} FLOPs)"
    )
    return "\n".join(lines)


def _check_row(row: dict, path) -> None:
    """An archive row ``show`` can print: one line naming the row, column and rule."""
    from .config import finite_number as number

    checks = {
        "accuracy": (lambda v: number(v) and 0 <= v <= 1, "a number from 0 to 1"),
        "params": (lambda v: v is None or (number(v) and v >= 0), "a count or empty"),
        "macs": (lambda v: v is None or (number(v) and v >= 0), "a count or empty"),
        "generation": (lambda v: v is None or isinstance(v, int), "an integer or empty"),
        "status": (lambda v: isinstance(v, str), "a word"),
        "key": (lambda v: isinstance(v, str), "a genome key"),
    }
    for column, (ok, rule) in checks.items():
        if not ok(row.get(column)):
            raise ValueError(
                f"{path}: row {row.get('key')!r}, {column}={row.get(column)!r}; rule: {rule} (rows "
                f"written by tsenas; restore the archive from a copy)"
            )


def _network_name(key: str) -> str:
    """An archive key by its cells' names; what follows the genome (``@6``: an evaluation
    again in generation 6, ``#rescore0``: a re-scoring training) is kept."""
    from .evaluation.keys import split_key
    from .space.genome import genome_from_key, readable

    genome_key, tag = split_key(key)
    return readable(genome_from_key(genome_key)) + (f" {tag}" if tag else "")


def show(args) -> None:
    import csv
    import sqlite3
    from pathlib import Path

    from .evaluation.archive import Archive

    path = Path(args.run_dir) / "archive.sqlite"
    if not path.is_file():
        raise FileNotFoundError(
            f"run directory {args.run_dir}: no archive.sqlite; rule: a folder written by tsenas search"
        )
    archive = Archive(path)
    try:
        rows = archive.records()
    except sqlite3.DatabaseError as err:
        raise ValueError(f"{path}: not a readable archive ({err})") from None
    finally:
        archive.close()  # the last connection closed: SQLite leaves no -wal or -shm file
    for r in rows:
        _check_row(r, path)
    rows.sort(key=lambda r: (-(r["accuracy"] or 0), r["params"] or 0))
    columns = ("key", "accuracy", "params", "macs", "generation", "status")
    print(f"{'#':>3}  {'accuracy':>8}  {'params':>9}  {'MACs':>12}  {'gen':>3}  {'status':<6}  key")
    for i, r in enumerate(rows[: args.top], start=1):
        macs = f"{r['macs']:,}" if r.get("macs") is not None else "-"
        params = f"{r['params']:,}" if r.get("params") is not None else "-"
        print(
            f"{i:>3}  {r['accuracy']:>8.4f}  {params:>9}  {macs:>12}  {r['generation'] or '-':>3}  "
            f"{r['status']:<6}  {_network_name(r['key']) if args.names else r['key']}"
        )
    print(f"{len(rows)} networks in {path}")
    if args.csv:
        with open(args.csv, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows([[r.get(c) for c in columns] for r in rows])


def export(args) -> None:
    from pathlib import Path

    import torch

    from .export import SUFFIX, check_export, export_model
    from .genotype import load_genotype, load_network

    run = Path(args.run_dir)
    folder = run / "final" if (run / "final" / "weights.safetensors").is_file() else run
    genotype, weights = folder / "genotype.json", folder / "weights.safetensors"
    if not (genotype.is_file() and weights.is_file()):
        raise FileNotFoundError(
            f"{run}: no final/genotype.json and final/weights.safetensors (nor genotype.json "
            f"and weights.safetensors); rule: a finished run directory or a `tsenas train "
            f"--out` folder"
        )
    _, meta = load_genotype(genotype)
    model = load_network(genotype, weights).eval()
    out = Path(args.out) if args.out else run / f"model{SUFFIX[args.format]}"
    before = {p: p.stat().st_mtime_ns for p in out.parent.glob(out.name + ".*")}
    export_model(model, meta["input_shape"], args.format, out)
    beside = [p for p in sorted(out.parent.glob(out.name + ".*")) if before.get(p) != p.stat().st_mtime_ns]
    images = torch.rand(8, *meta["input_shape"], generator=torch.Generator().manual_seed(0))
    diff = check_export(model, out, args.format, images)
    raw = "images in [0, 1]" if meta.get("normalization") else "normalized images"
    print(
        f"{out}  ({args.format}; input (batch, {', '.join(map(str, meta['input_shape']))}) {raw}; "
        f"reloaded: largest logit difference from the eager model {diff:.2e})"
    )
    for extra in beside:  # ONNX keeps large weights in a data file next to the model: both are needed
        print(f"{extra}  (written with {out.name}; keep the two together)")


def search_config(args):
    """The ``SearchConfig`` of parsed ``tsenas search`` options: the options given, then
    the preset's values (``--preset``), then the defaults."""
    import dataclasses

    from .config import SearchConfig

    fields = {f.name for f in dataclasses.fields(SearchConfig)}
    return SearchConfig(**{k: v for k, v in vars(args).items() if k in fields and k in args.given})


def config_from_argv(argv: list[str]):
    """The ``SearchConfig`` that ``tsenas search ARGV`` would run, without running it
    (options given, then the preset's values, then the defaults; bad input is one line)."""
    args = build_parser().parse_args(["search", *argv])
    args.given = _resolve_defaults(args)
    return search_config(args)


def search(args) -> None:
    import dataclasses
    from pathlib import Path

    from .config import SearchConfig
    from .run import SearchRun

    if args.resume:
        extra = ["--" + f.name.replace("_", "-") for f in dataclasses.fields(SearchConfig) if f.name in args.given]
        if extra:
            raise ValueError(
                f"--resume takes every setting from {Path(args.resume) / 'config.json'}; rule: drop "
                f"{' '.join(extra)} (a changed setting needs a new --out)"
            )
        run = SearchRun.resume(
            args.resume, verbose=args.verbose, progress=not args.quiet, thread_policy=args.thread_policy
        )
    else:
        out = Path(args.out)
        if (out / "config.json").exists():
            raise ValueError(f"--out {out} already holds a search; use --resume {out} or another --out")
        config = search_config(args)
        run = SearchRun(out, config, verbose=args.verbose, progress=not args.quiet, thread_policy=args.thread_policy)
    summary = run.run()
    final = summary["final"]
    print(f"best network   {summary['best_network']}  (key in summary.json)")
    print(
        f"validation     {summary['best_val_accuracy']:.4f} accuracy after {summary['generations']} generations, "
        f"{summary['evaluations']} networks trained"
    )
    data = final.get("data", {})
    trained = f"after {final['epochs']} epochs" if final["epochs"] else "by the surrogate (no training)"
    print(
        f"test           {final['test_accuracy']:.4f} accuracy ({final['test_error']:.2%} error) {trained}; "
        f"{final['params']:,} params, {final['macs']:,} MACs"
    )
    if data.get("train_subset") or data.get("resolution"):
        print(
            f"proxy data     {data['dataset']}: {data['train'] + data['val']:,} training images at "
            f"{'x'.join(map(str, data['input_shape'][1:]))}; for the full data: "
            f"tsenas train {run.dir / 'best_genotype.json'}"
        )
    print(f"run directory  {run.dir}  (best_genotype.json, final/weights.safetensors, convergence.png)")
    print(f"read the pick  tsenas describe {run.dir / 'best_genotype.json'}")


def train(args) -> None:
    from .evaluation.data import load_dataset
    from .final import train_final
    from .genotype import load_genotype

    genome, meta = load_genotype(args.genotype)
    searched = meta.get("search_data") or {}
    data = load_dataset(
        args.dataset or searched.get("dataset") or "digits",
        args.root,
        download=args.download,
        seed=args.seed,
        train_subset=args.train_subset,
        resolution=args.resolution,
    )
    if data.input_shape[0] != meta["input_shape"][0]:
        raise ValueError(
            f"dataset {data.name} has {data.input_shape[0]} channels but the genotype was searched on "
            f"{meta['input_shape'][0]}; rule: a dataset with the same number of channels"
        )
    genome.validate(input_shape=data.input_shape)
    print(f"data           {data!r}")
    report = train_final(
        genome,
        data,
        epochs=args.epochs,
        init_channels=args.init_channels or meta["init_channels"],
        seed=args.seed,
        device=args.device,
        out_dir=args.out,
        progress=True,
        augment=args.augment,
        cutout=args.cutout,
        label_smoothing=args.label_smoothing,
    )
    print(
        f"test accuracy {report['test_accuracy']:.4f} ({report['test_error']:.2%} error), "
        f"{report['params']:,} params, {report['macs']:,} MACs, {report['epochs']} epochs, "
        f"augment {report['augment']}"
    )


def plot(args) -> None:
    from .plotting import plot_compare, save_plots

    if args.compare:
        runs = ([args.run_dir] if args.run_dir else []) + args.compare
        plot_compare(runs).savefig(args.out, dpi=120)
        print(args.out)
        return
    if args.run_dir is None:
        raise ValueError("no run directory given; rule: tsenas plot RUN_DIR, or tsenas plot --compare RUN_DIR ...")
    for path in save_plots(args.run_dir, cells=args.cells):
        print(path)


def set_threads(args) -> dict | None:
    """Choose and apply the thread policy before torch loads (``threads.py``); for a
    resumed search, from its config.json."""
    import json
    from pathlib import Path

    from .threads import apply_policy, choose_policy, recorded_threads

    if args.command not in ("search", "train"):
        return None
    from .config import RANGES
    from .rundir import read_text
    from .trust import UntrustedCheckpoint, verify_manifest

    threads, wait = args.threads, args.wait_policy
    low, high = RANGES["threads"]
    if threads is not None and not low <= threads <= high:
        raise ValueError(f"threads={threads}; rule: from {low} to {high}")
    if getattr(args, "resume", None):
        path = Path(args.resume) / "config.json"
        try:
            verify_manifest(path.parent)  # its recorded threads are read only once signed
            saved = json.loads(read_text(path)) if path.is_file() else {}
        except UntrustedCheckpoint:
            return None  # the resume itself refuses it, in one line naming `tsenas trust`
        except ValueError as err:
            raise ValueError(f"{path}: not JSON ({err})") from err
        threads, wait = recorded_threads(saved), saved.get("wait_policy", wait)
    return apply_policy(choose_policy(threads, wait))


class _TidyHandler(logging.Handler):
    """Writes log lines through ``tqdm.write``, above any progress bar."""

    def emit(self, record):
        from tqdm import tqdm

        tqdm.write(self.format(record), file=sys.stderr)


def _logging(args) -> None:
    """Log lines go to stderr: warnings by default, informational with -v, errors only
    with -q. The level is the handler's, so it also holds for libraries that set their
    own loggers' levels (Dask's ``distributed`` logs at INFO, tracebacks included)."""
    level = (
        logging.INFO
        if getattr(args, "verbose", False)
        else logging.ERROR
        if getattr(args, "quiet", False)
        else logging.WARNING
    )
    handler = _TidyHandler()
    handler.setFormatter(logging.Formatter("tsenas: %(levelname)s: %(message)s"))
    handler.setLevel(level)
    logging.basicConfig(level=level, handlers=[handler])


class Terminated(KeyboardInterrupt):
    """SIGTERM (what batch schedulers send before SIGKILL), handled like Ctrl-C: the
    finished generations are checkpointed, the resume command is printed, exit 143."""


def _terminated(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    raise Terminated()


def _close_bars() -> None:
    """Close every open progress bar (each ends its line), so what follows starts a line."""
    std = sys.modules.get("tqdm.std")
    for bar in list(getattr(getattr(std, "tqdm", None), "_instances", ())):
        bar.close()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.given = _resolve_defaults(args)
    try:
        args.thread_policy = set_threads(args)
        _logging(args)
        signal.signal(signal.SIGTERM, _terminated)
        {
            "describe": describe,
            "search": search,
            "train": train,
            "plot": plot,
            "show": show,
            "export": export,
            "trust": trust,
        }[args.command](args)
    except KeyboardInterrupt as err:
        if args.debug:
            raise
        _close_bars()  # the hint on a line of its own, not inside a bar's
        where = f"; continue with tsenas search --resume {args.resume or args.out}" if args.command == "search" else ""
        what, code = ("terminated (SIGTERM)", 143) if isinstance(err, Terminated) else ("interrupted", 130)
        parser.exit(code, f"tsenas {args.command}: {what}{where}\n")
    except (ValueError, OSError, ImportError) as err:  # FileNotFoundError and a full disk are OSErrors
        if args.debug:
            raise
        _close_bars()
        parser.exit(2, f"tsenas {args.command}: error: {err}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
