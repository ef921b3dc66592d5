"""``SearchConfig``: the settings of one search, as the CLI and ``config.json`` hold them.

Kept free of torch so that the CLI can parse its options and set the thread policy
(``threads.py``) before torch is loaded.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .presets import PRESETS, preset_values

#: The searches ``--algorithm`` runs (``search/stock.py`` builds all but tsenas); here so the CLI
#: can offer them before pymoo loads.
ALGORITHMS = ("tsenas", "ga", "nsga2", "de", "random", "re")

#: What ``--budget`` counts (``budget.py``): networks trained, or millions of MAC-epochs.
BUDGET_UNITS = ("networks", "mmac-epochs")


def _option(default, help: str, kind: str = "str", choices: tuple[str, ...] | None = None):
    """A setting with what the CLI needs to offer it: ``tsenas search --<name>`` is
    generated from these (``kind``: str, int, float, positive, count or flag)."""
    return field(default=default, metadata={"help": help, "kind": kind, "choices": choices})


@dataclass
class SearchConfig:
    """Settings of one search. Defaults: a small budget on the embedded digits set that
    finishes in a few minutes on 2 CPU cores; the paper's are in the README.

    ``train_subset`` and ``resolution`` are proxy settings of the search's data; the
    final training at the end of a run uses the same data (its report says so), and
    ``tsenas train best_genotype.json`` trains on the full data at full resolution."""

    preset: str | None = _option(
        None,
        "a named proxy (data, validation, epochs, width, batch, lr); settings given explicitly win",
        choices=tuple(PRESETS),
    )
    dataset: str = _option(
        "digits",
        "digits, fashion-mnist (offline: apt-get install dataset-fashion-mnist), mnist, "
        "idx (--root FOLDER of IDX files), cifar10, cifar100, or a folder of class sub-folders",
    )
    root: str | None = _option(None, "folder holding the dataset files")
    download: bool = _option(False, "download the dataset into --root if missing", "flag")
    train_subset: int | None = _option(
        None,
        "proxy: a seeded, stratified subset of N training images (the final "
        "training uses the same; `tsenas train` the full data)",
        "positive",
    )
    resolution: int | None = _option(None, "proxy: area-downsample every split to R pixels a side", "positive")
    val_size: int | None = _option(
        None,
        "proxy: score fitness on a validation pool of N training images the "
        "training subset does not use (default: a tenth of the subset, split off)",
        "positive",
    )
    seed: int = _option(0, "seeds every random draw (operators, initialization, batches)", "int")
    algorithm: str = _option(
        "tsenas",
        "the search: TS-ENAS (Alg. 1), or pymoo's MixedVariableGA (ga), NSGA-II "
        "(nsga2, two objectives), DE (de), random search over Alg. 3 samples (random) or "
        "regularized evolution (re, Real et al. 2019)",
        choices=ALGORITHMS,
    )
    evaluator: str = _option(
        "torch",
        "what scores a network: real training (torch), or the surrogate benchmark's model of the "
        "space (surrogate: a whole search in seconds; tsenas_pymoo.bench, docs/surrogate.md)",
        choices=("torch", "surrogate"),
    )
    surrogate_table: str | None = _option(None, "--evaluator surrogate: a table.csv (default: the shipped one)")
    budget: int | None = _option(
        None,
        "stop once the search used this much work, in --budget-unit (archive answers are "
        "free), any algorithm (default: the generations below; a stock algorithm runs "
        "1 + stage1-gens + stage2-gens generations of pop-size)",
        "positive",
    )
    budget_unit: str = _option(
        "networks",
        "what --budget counts: networks trained, or mmac-epochs: millions of MACs per image "
        "times epochs over every training, the SuperNet included (proportional to real work, "
        "whatever the network sizes an algorithm prefers)",
        choices=BUDGET_UNITS,
    )
    pop_size: int = _option(8, "P, stage-1 population", "positive")
    fine_size: int = _option(4, "S, stage-2 population", "positive")
    stage1_gens: int = _option(4, "T0, stage-1 offspring generations after the initial population", "positive")
    stage2_gens: int = _option(3, "T1, stage-2 generations", "count")
    n_min: int = _option(3, "N_min cells", "positive")
    n_max: int = _option(6, "N_max cells", "positive")
    alpha: float | str = _option(
        0.01,
        "alpha-level threshold (Sec. IV-B4), or 'noise': the standard error of the best validation accuracy",
        "alpha",
    )
    epochs: int = _option(2, "short training per individual (paper: 10)", "positive")
    init_channels: int = _option(8, "width of the stem and first stage", "positive")
    max_params: int | None = _option(
        None,
        "budget: at most this many parameters per network (a pymoo constraint; over it: never trained)",
        "positive",
    )
    max_macs: int | None = _option(
        None, "budget: at most this many multiply-adds per image (the paper's FLOPs), a pymoo constraint", "positive"
    )
    min_budget_use: float | None = _option(
        None,
        "budget: each limit must also be used to at least this share (0.9: within a tenth of both, for "
        "comparisons at equal parameters and MACs), a pymoo constraint",
        "float",
    )
    width_rule: str = _option(
        "auto",
        "fixed: every network at --init-channels; budget: each network at the widest width within "
        "--max-params/--max-macs (iso-budget evaluation); auto: budget when a budget is given",
        choices=("auto", "fixed", "budget"),
    )
    skeleton: str | None = _option(
        None,
        "fix the macro skeleton: N:positions of the reduction cells (8:3,6 is the baselines' three "
        "stages); the search picks the cells and connections (sets --n-min and --n-max to N)",
    )
    batch_size: int = _option(128, "training batch", "positive")
    lr: float = _option(0.1, "peak learning rate of the short trainings (cosine)", "float")
    supernet_epochs: int = _option(2, "SuperNet training (Alg. 2 lines 2-3; 0: none)", "count")
    reevaluate: bool = _option(
        True, "stage 2: evaluate each parent s again beside its children (Alg. 4 line 7)", "flag"
    )
    fine_cells: int | None = _option(
        None, "stage 2: cells a node/edge mutation edits (default: every cell, as in the paper)", "positive"
    )
    mutate_offspring: bool = _option(
        True,
        "stage 1: also mutate crossover children with the mutation rate (--no-mutate-offspring: the paper's)",
        "flag",
    )
    carry_connections: bool = _option(False, "stage 1: crossover swaps each cell with its free input", "flag")
    remake_known: bool = _option(False, "stage 1: make again offspring evaluated earlier in the run", "flag")
    update_every: int = _option(1, "update the cell store (Steps 1-4) every this many generations", "positive")
    inheritance: str = _option(
        "lineage",
        "weights a network starts from: its parents' trained units, then the cell "
        "store (lineage); the cell store only (store, the paper's); or none",
        choices=("lineage", "store", "none"),
    )
    inherit_lr_scale: float = _option(0.3, "warm start: an inherited network trains at lr times this", "float")
    inherit_warmup: float = _option(
        0.2, "warm start: linear warm-up over this fraction of an inherited network's steps", "float"
    )
    inherit_warm_counts: str = _option(
        "auto",
        "warm start: the inherited weights that count toward its half-the-parameters threshold: "
        "all (inherited: parents and cell store, SuperNet included), the parents' only (parents), "
        "or by --inheritance (auto: parents under lineage, inherited under store)",
        choices=("auto", "inherited", "parents"),
    )
    rescore_top: int = _option(
        0,
        "final pick: retrain the top K of the last population (every s in stage 2) "
        "from scratch, --rescore-seeds times each; the best mean validation wins (0: the "
        "search's own pick)",
        "count",
    )
    rescore_seeds: int = _option(3, "final pick: trainings per re-scored candidate", "positive")
    rescore_subset: int | None = _option(
        None,
        "finalist round: re-score on this many training images (a higher rung; default: the search's "
        "subset), scored on the search's validation pool",
        "positive",
    )
    rescore_epochs: int | None = _option(
        None, "finalist round: epochs of each re-scoring training (default: the search's)", "positive"
    )
    final_epochs: int = _option(20, "post-training epochs at the end of the search", "positive")
    augment: str = _option("none", "augmentation of the short trainings: none, auto, crop, flip or crop,flip")
    final_augment: str = _option(
        "none", "augmentation of the final training (auto: crop + flip on Fashion-MNIST and CIFAR)"
    )
    cutout: int = _option(0, "final training: cutout side in pixels (0: off)", "count")
    label_smoothing: float = _option(0.0, "final training: label smoothing", "float")
    device: str | None = _option(None, "cpu, cuda, cuda:1 (default: CUDA when present)")
    objectives: str = _option(
        "error",
        "a second objective makes the search multi-objective (fronts, hypervolume)",
        choices=("error", "error,params", "error,macs", "error,flops"),
    )
    workers: int = _option(
        0, "evaluate on a local Dask cluster of N processes (one per GPU on CUDA; needs tsenas_pymoo[dask])", "count"
    )
    workers_per_device: int = _option(
        0,
        "evaluate on a local Dask cluster of K processes per device, sharing it: "
        "K per GPU with CUDA, K on the CPU with --device cpu (needs "
        "tsenas_pymoo[dask])",
        "count",
    )
    scheduler: str | None = _option(None, "evaluate on an existing Dask cluster at this address")
    threads: int | None = _option(
        None, "torch threads per training process (default: usable cores / processes)", "positive"
    )
    wait_policy: str = _option(
        "auto",
        "how idle OpenMP threads wait; auto: passive when the cores are "
        "oversubscribed or busy with other work at start, else OpenMP's default",
        choices=("auto", "default", "passive", "active"),
    )

    def validate(self) -> SearchConfig:
        for f in dataclasses.fields(self):  # each value of its type: one line naming the field
            _check_type(f, getattr(self, f.name), "settings")
        for name, (low, high) in RANGES.items():
            value = getattr(self, name)
            if value is not None and not low <= value <= high:
                raise ValueError(f"{name}={value!r}; rule: from {low} to {high}")
        for name in (
            "pop_size",
            "fine_size",
            "stage1_gens",
            "epochs",
            "init_channels",
            "batch_size",
            "n_min",
            "n_max",
            "update_every",
            "final_epochs",
            "rescore_seeds",
        ):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}={getattr(self, name)}; rule: at least 1")
        if self.stage2_gens < 0 or self.supernet_epochs < 0 or self.rescore_top < 0:
            raise ValueError("stage2_gens, supernet_epochs and rescore_top: rule: at least 0")
        if self.fine_size > self.pop_size:
            raise ValueError(f"fine_size={self.fine_size}; rule: at most pop_size={self.pop_size}")
        if self.workers_per_device and (self.workers or self.scheduler):
            raise ValueError(
                f"workers_per_device={self.workers_per_device}; rule: give one of workers, "
                f"workers_per_device or scheduler"
            )
        if self.scheduler is not None and not SCHEDULER_ADDRESS.match(self.scheduler):
            raise ValueError(
                f"scheduler={self.scheduler[:80]!r}; rule: a Dask scheduler address, PROTOCOL://HOST:PORT "
                f"or HOST:PORT (tcp://10.0.0.5:8786)"
            )
        if self.skeleton is not None:
            from .space.width import Skeleton

            self.n_min = self.n_max = Skeleton.parse(self.skeleton).n_cells
        for name in ("max_params", "max_macs"):
            if getattr(self, name) is not None and int(getattr(self, name)) < 1:
                raise ValueError(f"{name}={getattr(self, name)}; rule: at least 1, or None for no limit")
        if self.min_budget_use is not None:
            from .space.width import Budget

            Budget(self.max_params, self.max_macs, self.min_budget_use)  # one line naming the rule
        if self.width_rule == "budget" and self.max_params is None and self.max_macs is None:
            raise ValueError("width_rule='budget'; rule: give --max-params and/or --max-macs")
        if self.n_max < self.n_min:
            raise ValueError(f"n_max={self.n_max}; rule: at least n_min={self.n_min}")
        if self.alpha != "noise" and not (isinstance(self.alpha, (int, float)) and self.alpha >= 0):
            raise ValueError(f"alpha={self.alpha!r}; rule: an accuracy difference >= 0, or 'noise'")
        check_choice(self.algorithm, tuple(self.objectives.split(",")))
        for name in (
            "train_subset",
            "resolution",
            "val_size",
            "threads",
            "fine_cells",
            "budget",
            "rescore_subset",
            "rescore_epochs",
        ):
            if getattr(self, name) is not None and int(getattr(self, name)) < 1:
                raise ValueError(
                    f"{name}={getattr(self, name)}; rule: at least 1, or None for the default "
                    f"(full data, full resolution, usable cores)"
                )
        if self.budget_unit not in BUDGET_UNITS:
            raise ValueError(f"budget_unit={self.budget_unit!r}; rule: one of {', '.join(BUDGET_UNITS)}")
        if self.cutout < 0 or not 0 <= self.label_smoothing < 1:
            raise ValueError(
                f"cutout={self.cutout}, label_smoothing={self.label_smoothing}; rule: cutout >= 0, "
                f"0 <= label_smoothing < 1"
            )
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
        from .evaluation.lineage import WarmStart, default_warm_counts

        counts = self.inherit_warm_counts
        if counts == "auto":
            counts = default_warm_counts(self.inheritance)
        try:
            return WarmStart(lr_scale=self.inherit_lr_scale, warmup=self.inherit_warmup, counts=counts)
        except ValueError as err:
            raise ValueError(f"inherit_{err}") from None

    def trains_supernet(self) -> bool:
        """Whether the search trains a SuperNet first (TS-ENAS with real training and one
        width: a width rule has no single SuperNet width)."""
        budgeted = self.max_params is not None or self.max_macs is not None
        width_rule = self.width_rule == "budget" or (self.width_rule == "auto" and budgeted)
        return (
            self.algorithm == "tsenas" and self.evaluator == "torch" and bool(self.supernet_epochs) and not width_rule
        )

    def plan(self) -> tuple[int, str]:
        """The most networks the search trains, and how that count is made: TS-ENAS's
        stage 1 P x (1 + T0), stage 2 T1 x 3S (p1, p2 and s again; 2S without
        ``reevaluate``); a stock algorithm P x (1 + T0 + T1); a ``budget`` in networks caps
        it. Networks the archive already holds are not trained again."""
        if self.algorithm == "tsenas":
            per = 3 if self.reevaluate else 2
            stage1, stage2 = self.pop_size * (1 + self.stage1_gens), self.stage2_gens * per * self.fine_size
            total = stage1 + stage2
            how = (
                f"stage 1 P x (1 + T0) = {self.pop_size} x {1 + self.stage1_gens} = {stage1}, "
                f"stage 2 T1 x {per}S = {self.stage2_gens} x {per * self.fine_size} = {stage2}"
            )
        else:
            gens = 1 + self.stage1_gens + self.stage2_gens
            total, how = self.pop_size * gens, f"P x (1 + T0 + T1) = {self.pop_size} x {gens}"
        if self.budget is not None and self.budget_unit == "networks" and self.budget < total:
            total, how = self.budget, f"--budget {self.budget} (of {how})"
        return total, how

    def budget_notes(self) -> list[str]:
        """What a ``budget`` leaves out, said before the search starts: the SuperNet's
        training (not counted in networks) and, for TS-ENAS, a budget that ends the search
        before stage 2 (stage 1 alone trains up to P x (1 + T0) networks)."""
        if self.budget is None or self.budget_unit != "networks":
            return []
        notes = []
        if self.trains_supernet():
            notes.append(
                f"--budget {self.budget} networks counts trained networks only: the SuperNet's "
                f"{self.supernet_epochs} epochs come on top (--budget-unit mmac-epochs counts them)"
            )
        stage1 = self.pop_size * (1 + self.stage1_gens)
        if self.algorithm == "tsenas" and self.stage2_gens and self.budget <= stage1:
            notes.append(
                f"--budget {self.budget} networks may end the search in stage 1, before stage 2 edits any "
                f"cell: stage 1 trains up to P x (1 + T0) = {self.pop_size} x {1 + self.stage1_gens} = "
                f"{stage1} networks; rule: a budget above {stage1}, or fewer --stage1-gens"
            )
        return notes

    def recipe(self):
        """The short trainings' :class:`~tsenas_pymoo.evaluation.recipe.TrainRecipe` (Sec.
        IV-B2): ``epochs``, ``batch_size``, ``lr``, ``augment``, ``device``."""
        from .evaluation.recipe import TrainRecipe

        return TrainRecipe(
            epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, augment=self.augment, device=self.device
        )

    def final_recipe(self):
        """The final training's recipe (Sec. V-C): the short one with ``final_epochs``,
        ``final_augment``, ``cutout`` and ``label_smoothing``."""
        return self.recipe().replace(
            epochs=self.final_epochs,
            augment=self.final_augment,
            cutout=self.cutout,
            label_smoothing=self.label_smoothing,
        )

    def torch_evaluator(self, store=None, archive=None):
        """The :class:`~tsenas_pymoo.evaluation.evaluator.TorchEvaluator` these settings
        make, as ``tsenas search`` makes it (data, recipe, width, seed, inheritance, warm
        start): ``SearchConfig(preset="cpu").torch_evaluator()`` is the ``cpu`` preset from Python.
        ``store``, ``archive``: folder and ``.sqlite`` path (None: none)."""
        from .evaluation.evaluator import TorchEvaluator

        self.validate()
        data = self.load_data()
        return TorchEvaluator(
            data,
            self.recipe(),
            init_channels=self.width(data.input_shape, data.num_classes),
            store=store,
            archive=archive,
            seed=self.seed,
            # a stock algorithm trains every network from scratch: it has no lineage
            inheritance=self.inheritance if self.algorithm == "tsenas" else "none",
            warm_start=self.warm_start(),
        )

    def budget_kwargs(self) -> dict:
        """The problem's budget and skeleton (``TSENASProblem(..., **these)``)."""
        return {
            "max_params": self.max_params,
            "max_macs": self.max_macs,
            "skeleton": self.skeleton,
            "min_budget_use": self.min_budget_use,
        }

    def width(self, input_shape, num_classes: int):
        """The networks' width: ``init_channels``, or under a budget (``width_rule`` budget,
        or auto with a budget) a :class:`~tsenas_pymoo.space.width.BudgetWidth`."""
        budgeted = self.max_params is not None or self.max_macs is not None
        if self.width_rule == "fixed" or (self.width_rule == "auto" and not budgeted):
            return self.init_channels
        from .space.width import Budget, BudgetWidth

        return BudgetWidth(Budget(self.max_params, self.max_macs), tuple(input_shape), num_classes)

    def rung_data(self):
        """The finalist round's data (``rescore_subset`` training images, the search's
        validation pool and resolution), or None for the search's own."""
        if self.rescore_subset is None:
            return None
        return dataclasses.replace(self, train_subset=self.rescore_subset).load_data()

    def load_data(self, data_seed: int | None = None):
        """The :class:`~tsenas_pymoo.evaluation.data.Dataset` these settings search on
        (training subset, resolution, validation pool), drawn with ``data_seed`` (default:
        the search's ``seed``)."""
        from .evaluation.data import load_dataset

        return load_dataset(
            self.dataset,
            self.root,
            download=self.download,
            seed=self.seed if data_seed is None else data_seed,
            train_subset=self.train_subset,
            resolution=self.resolution,
            val_size=self.val_size,
        )

    @classmethod
    def from_json(cls, path: Path) -> SearchConfig:
        """The settings a ``config.json`` holds; a field of the wrong type is one line
        naming it and the rule (values are then checked by :meth:`validate`)."""
        data = json.loads(Path(path).read_text())
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a {type(data).__name__}, not an object; rule: a config.json written by tsenas")
        data = dict(BEFORE_FIELD, **data)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for name, value in data.items():
            if name in fields:
                _check_type(fields[name], value, path)
        return cls(**{k: v for k, v in data.items() if k in fields})


_GENERATED_INIT = SearchConfig.__init__


def _init_with_preset(self, *args, **kwargs):
    """The dataclass's ``__init__``, then the preset's values for every setting not
    given (positionally or by name): explicit settings win over the preset."""
    _GENERATED_INIT(self, *args, **kwargs)
    if self.preset is None:
        return
    given = set(kwargs) | {f.name for f in dataclasses.fields(self)[: len(args)]}
    if given >= {f.name for f in dataclasses.fields(self)}:
        return  # every value given (a config.json): it resumes as it ran, even if the preset changed or went
    for name, value in preset_values(self.preset).items():
        if name not in given:
            setattr(self, name, value)


SearchConfig.__init__ = _init_with_preset


def check_choice(algorithm: str, objectives: tuple[str, ...]) -> None:
    """One line naming the rule when an algorithm cannot run these objectives."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm={algorithm!r}; rule: one of {', '.join(ALGORITHMS)}")
    if algorithm == "nsga2" and len(objectives) != 2:
        raise ValueError("algorithm='nsga2'; rule: two objectives (--objectives error,params or error,macs)")
    if algorithm in ("ga", "de", "random", "re") and len(objectives) != 1:
        raise ValueError(
            f"algorithm={algorithm!r} is single-objective; rule: --objectives error, or "
            f"--algorithm nsga2 or tsenas for two"
        )


def finite_number(value) -> bool:
    """A real number read from a file (JSON, SQLite): not a bool, not NaN or infinite."""
    import math

    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_type(f: dataclasses.Field, value, where) -> None:
    """A config.json value must have its field's type (JSON has no other check)."""
    kind = f.metadata["kind"]
    if value is None and f.default is None:
        return
    if f.name == "preset" and isinstance(value, str):
        return  # any name: the values it set are in the file, so a preset renamed or gone since does not matter
    number = finite_number(value)
    ok = {
        "flag": isinstance(value, bool),
        "float": number,
        "alpha": number or value == "noise",
        "str": isinstance(value, str) and (f.metadata["choices"] is None or value in f.metadata["choices"]),
    }.get(kind, isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63)
    if not ok:
        want = {
            "flag": "true or false",
            "float": "a finite number",
            "alpha": "a number or 'noise'",
            "str": f"one of {', '.join(f.metadata['choices'])}" if f.metadata["choices"] else "a string",
        }.get(kind, "an integer")
        raise ValueError(f"{where}: {f.name}={value!r}; rule: {want}" + (" or null" if f.default is None else ""))


#: What ``scheduler`` may hold: a Dask address (``tls://[::1]:8786``, ``10.0.0.5:8786``).
SCHEDULER_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?[A-Za-z0-9._~%\[\]:-]+:[0-9]{1,5}$")

#: Ranges every setting is held to where it enters (CLI, ``SearchConfig``, config.json), so
#: that a run that starts can also resume: (lowest, highest), None values aside.
RANGES = {
    "seed": (0, 2**32 - 1),
    "lr": (1e-8, 10.0),
    "batch_size": (1, 65_536),
    "epochs": (1, 100_000),
    "final_epochs": (1, 100_000),
    "supernet_epochs": (0, 100_000),
    "pop_size": (1, 100_000),
    "fine_size": (1, 100_000),
    "stage1_gens": (1, 1_000_000),
    "stage2_gens": (0, 1_000_000_000),
    "n_min": (1, 64),
    "n_max": (1, 64),
    "init_channels": (2, 4096),
    "threads": (1, 4096),
    "workers": (0, 4096),
    "workers_per_device": (0, 4096),
    "rescore_top": (0, 100_000),
    "rescore_seeds": (1, 1000),
    "rescore_epochs": (1, 100_000),
    "inherit_lr_scale": (1e-6, 10.0),
    "inherit_warmup": (0.0, 1.0),
    "label_smoothing": (0.0, 0.999),
    "cutout": (0, 4096),
    "max_params": (1, 10**12),
    "max_macs": (1, 10**15),
    "min_budget_use": (1e-6, 1.0),
    "update_every": (1, 1_000_000),
    "budget": (1, 10**12),
}


#: Settings whose default changed after they were added: a config.json written before
#: the field existed ran with this value, and resumes with it.
BEFORE_FIELD = {"mutate_offspring": False, "inherit_warm_counts": "inherited"}


__all__ = ["SearchConfig"]
