"""A whole search in one run directory, with resume after any interruption.

The folder holds ``config.json``, ``archive.sqlite`` (every evaluation: the source of
truth), ``store/`` (the weight store), ``checkpoint.pkl`` (the algorithm after the last
finished generation, pymoo's documented dill way), ``log.jsonl`` (one line per
generation), and at the end ``best_genotype.json``, ``final/`` (weights) and the plots.

Resume re-loads the checkpoint and runs on: the generation that was cut off is made again
from the same random state, so its offspring are the same, and those already trained are
answered by the archive.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dill
import numpy as np

from .algorithm import TSENAS
from .evaluation.data import load_dataset
from .evaluation.evaluator import TorchEvaluator
from .export import save_genotype, train_final
from .problem import TSENASProblem


@dataclass
class SearchConfig:
    """Settings of one search. Defaults: a small budget on the embedded digits set that
    finishes in a few minutes on 2 CPU cores; the paper's are in the README.

    ``train_subset`` and ``resolution`` are proxy settings of the search's data; the
    final training at the end of a run uses the same data (its report says so), and
    ``tsenas train best_genotype.json`` trains on the full data at full resolution."""

    dataset: str = "digits"
    root: str | None = None
    download: bool = False
    train_subset: int | None = None  # proxy: a seeded stratified subset of the training images
    resolution: int | None = None    # proxy: area-downsample every split to this side
    seed: int = 0
    pop_size: int = 8
    fine_size: int = 4
    stage1_gens: int = 4
    stage2_gens: int = 3
    n_min: int = 3
    n_max: int = 6
    alpha: float = 0.01
    epochs: int = 2
    init_channels: int = 8
    batch_size: int = 128
    lr: float = 0.1
    supernet_epochs: int = 2
    update_every: int = 1
    final_epochs: int = 20
    augment: str = "none"            # the short trainings of the search: "none", "auto", "crop,flip", ...
    final_augment: str = "none"      # the final training ("auto": crop + flip on Fashion-MNIST / CIFAR); see README
    cutout: int = 0                  # final training: cutout side in pixels (0: off)
    label_smoothing: float = 0.0     # final training
    device: str | None = None
    objectives: str = "error"    # "error", "error,params" or "error,flops"
    workers: int = 0             # > 0: a local Dask cluster of this many worker processes
    scheduler: str | None = None  # an existing Dask scheduler's address

    def validate(self) -> "SearchConfig":
        for name in ("pop_size", "fine_size", "stage1_gens", "epochs", "init_channels", "batch_size", "n_min",
                     "n_max", "update_every", "final_epochs"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}={getattr(self, name)}; rule: at least 1")
        if self.stage2_gens < 0 or self.supernet_epochs < 0:
            raise ValueError("stage2_gens and supernet_epochs: rule: at least 0")
        if self.fine_size > self.pop_size:
            raise ValueError(f"fine_size={self.fine_size}; rule: at most pop_size={self.pop_size}")
        if self.n_max < self.n_min:
            raise ValueError(f"n_max={self.n_max}; rule: at least n_min={self.n_min}")
        for name in ("train_subset", "resolution"):
            if getattr(self, name) is not None and int(getattr(self, name)) < 1:
                raise ValueError(f"{name}={getattr(self, name)}; rule: at least 1, or None for the full data")
        if self.cutout < 0 or not 0 <= self.label_smoothing < 1:
            raise ValueError(f"cutout={self.cutout}, label_smoothing={self.label_smoothing}; rule: cutout >= 0, "
                             f"0 <= label_smoothing < 1")
        from .evaluation.augment import make_augment

        for name in ("augment", "final_augment"):
            make_augment(getattr(self, name), self.dataset, (1, 8, 8))  # raises on an unknown spec
        return self

    @classmethod
    def from_json(cls, path: Path) -> "SearchConfig":
        data = json.loads(Path(path).read_text())
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class SearchRun:
    """One run directory: ``SearchRun(run_dir, config).run()``; ``SearchRun.resume(dir)``."""

    def __init__(self, run_dir: str | Path, config: SearchConfig | None = None, progress: bool = True,
                 verbose: bool = False):
        self.dir = Path(run_dir)
        self.progress, self.verbose = progress, verbose
        config_path = self.dir / "config.json"
        if config is None:
            if not config_path.is_file():
                raise FileNotFoundError(f"run directory {self.dir}: no config.json; rule: resume a folder that "
                                        f"`tsenas search --out` made")
            config = SearchConfig.from_json(config_path)
        self.config = config.validate()
        self.dir.mkdir(parents=True, exist_ok=True)
        if not config_path.exists():
            _atomic_write(config_path, json.dumps(dataclasses.asdict(config), indent=1).encode())

    @classmethod
    def resume(cls, run_dir: str | Path, **kwargs) -> "SearchRun":
        return cls(run_dir, None, **kwargs)

    @property
    def checkpoint_path(self) -> Path:
        return self.dir / "checkpoint.pkl"

    def _evaluator(self) -> TorchEvaluator:
        c = self.config
        data = load_dataset(c.dataset, c.root, download=c.download, seed=c.seed, train_subset=c.train_subset,
                            resolution=c.resolution)
        return TorchEvaluator(data, epochs=c.epochs, init_channels=c.init_channels, batch_size=c.batch_size,
                              lr=c.lr, store=self.dir / "store", archive=self.dir / "archive.sqlite",
                              device=c.device, seed=c.seed, augment=c.augment)

    def _runner(self):
        """A Dask runner when the config asks for workers or a scheduler, else None."""
        c = self.config
        if not c.workers and not c.scheduler:
            return None
        from .evaluation.distributed import DaskRunner, local_client

        if c.scheduler:
            from distributed import Client

            self._client = Client(c.scheduler)
        else:
            self._client = local_client(c.workers)
        return DaskRunner(self._client)

    def _algorithm(self, evaluator: TorchEvaluator) -> TSENAS:
        c = self.config
        runner = self._runner()
        if self.checkpoint_path.exists():
            with open(self.checkpoint_path, "rb") as handle:
                algorithm = dill.load(handle)
            algorithm.problem.evaluator = evaluator
            if runner is not None:
                algorithm.problem.elementwise_runner = algorithm.fine_problem.elementwise_runner = runner
            return algorithm
        extra = {} if runner is None else {"elementwise_runner": runner}
        problem = TSENASProblem(evaluator, n_min=c.n_min, n_max=c.n_max, exclude_from_serialization=["evaluator"],
                                objectives=tuple(c.objectives.split(",")), **extra)
        algorithm = TSENAS(pop_size=c.pop_size, n_fine=c.fine_size, stage1_gens=c.stage1_gens,
                           stage2_gens=c.stage2_gens, alpha=c.alpha, update_every=c.update_every)
        algorithm.setup(problem, seed=c.seed, verbose=self.verbose)
        return algorithm

    def run(self) -> dict[str, Any]:
        """Run (or continue) the search; returns the summary also written to summary.json."""
        evaluator = self._evaluator()
        evaluator.progress = self.progress
        marker = self.dir / "store" / "supernet.json"
        if self.config.supernet_epochs and not marker.exists():
            info = evaluator.train_supernet(epochs=self.config.supernet_epochs)
            _atomic_write(marker, json.dumps({k: v for k, v in info.items()}).encode())
        algorithm = self._algorithm(evaluator)
        log_path = self.dir / "log.jsonl"
        done = algorithm.n_iter - 1 if algorithm.is_initialized else 0
        lines = log_path.read_text().splitlines()[:done] if log_path.exists() else []
        _atomic_write(log_path, "".join(line + "\n" for line in lines).encode())
        total = self.config.stage1_gens + self.config.stage2_gens
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, initial=done, desc="generations", unit="gen")
        while algorithm.has_next():
            algorithm.next()
            with open(self.checkpoint_path.with_name(".checkpoint.tmp"), "wb") as handle:
                dill.dump(algorithm, handle)
            os.replace(self.checkpoint_path.with_name(".checkpoint.tmp"), self.checkpoint_path)
            record = algorithm.data["generations"][-1]
            with open(log_path, "a") as handle:
                handle.write(json.dumps(record) + "\n")
            if bar is not None:
                bar.update(1)
                bar.set_postfix(stage=record["stage"], best=f"{record['best_accuracy']:.3f}")
        if bar is not None:
            bar.close()
        if getattr(self, "_client", None) is not None:
            self._client.close()
            self._client = None
        return self._finish(algorithm, evaluator)

    def _finish(self, algorithm, evaluator) -> dict[str, Any]:
        c = self.config
        res = algorithm.result()
        best_x, best_f = np.atleast_2d(res.X)[0], np.atleast_2d(res.F)[0]  # 2-D with two objectives
        best = algorithm.problem.decode(best_x)
        summary = {"best_genome": best.key(), "best_val_accuracy": float(1 - best_f[0]),
                   "generations": len(algorithm.data["generations"]),
                   "evaluations": len(evaluator.archive), "stage2_start": algorithm.stage2_start}
        final_dir = self.dir / "final"
        report_path = final_dir / "report.json"
        if report_path.exists():
            report = json.loads(report_path.read_text())
        else:
            report = train_final(best, evaluator.dataset, epochs=c.final_epochs, init_channels=c.init_channels,
                                 batch_size=c.batch_size, lr=c.lr, seed=c.seed, device=c.device, out_dir=final_dir,
                                 progress=self.progress, augment=c.final_augment, cutout=c.cutout,
                                 label_smoothing=c.label_smoothing)
            _atomic_write(report_path, json.dumps(report, indent=1).encode())
        summary["final"] = report
        save_genotype(self.dir / "best_genotype.json", best, evaluator.input_shape, evaluator.num_classes,
                      c.init_channels, val_accuracy=summary["best_val_accuracy"], final=report,
                      search_data=evaluator.dataset.settings())
        from .plotting import save_plots

        summary["plots"] = [str(p) for p in save_plots(self.dir)]
        _atomic_write(self.dir / "summary.json", json.dumps(summary, indent=1).encode())
        return summary


def run_search(run_dir: str | Path, config: SearchConfig | None = None, resume: bool = False,
               **kwargs) -> dict[str, Any]:
    """Python equivalent of ``tsenas search`` (``resume=True``: ``tsenas search --resume``)."""
    run = SearchRun.resume(run_dir, **kwargs) if resume else SearchRun(run_dir, config or SearchConfig(), **kwargs)
    return run.run()
