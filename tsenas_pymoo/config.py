"""``SearchConfig``: the settings of one search, as the CLI and ``config.json`` hold them.

Kept free of torch so that the CLI can parse its options and set the thread policy
(``threads.py``) before torch is loaded.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path


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
    inheritance: str = "lineage"     # "lineage" (parents, then the cell store), "store" (the paper's) or "none"
    inherit_lr_scale: float = 0.3    # warm start: an inherited network's peak lr = lr * this
    inherit_warmup: float = 0.2      # warm start: linear warm-up over this fraction of its steps
    final_epochs: int = 20
    augment: str = "none"            # the short trainings of the search: "none", "auto", "crop,flip", ...
    final_augment: str = "none"      # the final training ("auto": crop + flip on Fashion-MNIST / CIFAR); see README
    cutout: int = 0                  # final training: cutout side in pixels (0: off)
    label_smoothing: float = 0.0     # final training
    device: str | None = None
    objectives: str = "error"    # "error", "error,params" or "error,flops"
    workers: int = 0             # > 0: a local Dask cluster of this many worker processes
    scheduler: str | None = None  # an existing Dask scheduler's address
    threads: int | None = None    # torch threads per training process (None: usable cores / processes)
    wait_policy: str = "auto"     # OpenMP idle-thread waiting: auto, default, passive, active (threads.py)

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
        for name in ("train_subset", "resolution", "threads"):
            if getattr(self, name) is not None and int(getattr(self, name)) < 1:
                raise ValueError(f"{name}={getattr(self, name)}; rule: at least 1, or None for the default "
                                 f"(full data, full resolution, usable cores)")
        if self.cutout < 0 or not 0 <= self.label_smoothing < 1:
            raise ValueError(f"cutout={self.cutout}, label_smoothing={self.label_smoothing}; rule: cutout >= 0, "
                             f"0 <= label_smoothing < 1")
        from .evaluation.augment import make_augment
        from .evaluation.lineage import MODES
        from .threads import WAIT_POLICIES

        if self.inheritance not in MODES:
            raise ValueError(f"inheritance={self.inheritance!r}; rule: one of {', '.join(MODES)}")
        self.warm_start()

        if self.wait_policy not in WAIT_POLICIES:
            raise ValueError(f"wait_policy={self.wait_policy!r}; rule: one of {', '.join(WAIT_POLICIES)}")
        for name in ("augment", "final_augment"):
            make_augment(getattr(self, name), self.dataset, (1, 8, 8))  # raises on an unknown spec
        return self

    def warm_start(self):
        """The :class:`~tsenas_pymoo.evaluation.lineage.WarmStart` of these settings."""
        from .evaluation.lineage import WarmStart

        try:
            return WarmStart(lr_scale=self.inherit_lr_scale, warmup=self.inherit_warmup)
        except ValueError as err:
            raise ValueError(f"inherit_{err}") from None

    @classmethod
    def from_json(cls, path: Path) -> "SearchConfig":
        data = json.loads(Path(path).read_text())
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


__all__ = ["SearchConfig"]
