"""A surrogate of the TS-ENAS space: genome -> accuracy in microseconds, from the table.

:class:`Surrogate` fits two models (LightGBM; :data:`MODEL` of :data:`MODELS`) on a table's networks
(features: :mod:`.features`): the mean validation accuracy (the fitness a search sees) and
the mean test accuracy (for reports: selection and report never share images), and the
fitness's seed noise from the networks trained with several seeds, as a function of the
network's mean (:class:`~.noise.SeedNoise`: good networks scatter less). Nothing is pickled:
the package ships the table, and a surrogate is refitted from it (seeded, deterministic;
a second or two).

:class:`SurrogateEvaluator` is a plain evaluator callable, like ``TorchEvaluator`` for
``TSENASProblem``, ``TSENAS`` and every pymoo algorithm: ``noise=True`` draws each
evaluation's fitness from the noise model (a search sees a noisy fitness, as in real
training), seeded by ``seed``; ``noise=False`` returns the model's mean.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from ..evaluation.evaluator import genome_seed
from ..evaluation.lineage import Lineage
from ..interface import EvaluatorBase
from ..space.genome import AnyGenome, genome_from_key
from .features import features
from .noise import SeedNoise, seed_sd
from .table import BenchTable, load_table

_FITTED: dict = {}
MEANS_KEPT = 200_000  # genomes whose means a surrogate remembers (a few hundred MB at most)


MODELS = {
    # LightGBM settings of the candidate models; benchmarks/experiments/surrogate_fit.py
    # chooses among them by 5-fold cross-validation on the networks it fits on
    "gbm": {"n_estimators": 400, "learning_rate": 0.05, "num_leaves": 15, "min_child_samples": 20, "reg_lambda": 1.0},
    "gbm-regularized": {
        "n_estimators": 1000,
        "learning_rate": 0.02,
        "num_leaves": 7,
        "min_child_samples": 10,
        "reg_lambda": 1.0,
        "subsample": 0.8,
        "subsample_freq": 1,
        "colsample_bytree": 0.8,
    },
    "forest": {
        # 200 trees of at most 63 leaves, for query time: surrogate_fit.py scores the 500
        # trees of 255 leaves first tried beside it (forest-500-trees, query_ms_per_network)
        "boosting_type": "rf",
        "n_estimators": 200,
        "num_leaves": 63,
        "min_child_samples": 2,
        "subsample": 0.632,
        "subsample_freq": 1,
        "colsample_bytree": 0.5,
    },
}
MODEL = "forest"  # the cross-validation's choice (results/surrogate_fit.json: selection)


def _model(random_state: int, name: str = MODEL, **overrides):
    """One of :data:`MODELS` in LightGBM. Why LightGBM, not scikit-learn: a query. Its
    booster answers in C++, where scikit-learn walks a 400-tree ensemble one Python call a
    tree (the timings: docs/surrogate.md), and a search of the paper's budget queries
    thousands of small batches; scikit-learn's gradient boosting
    and forest are fitted beside it in ``surrogate_fit.py``. A forest (``boosting_type
    "rf"``) averages leaf means, so it never rates a network above the best it was fitted
    on; boosting adds leaves up and can. One thread, seeded: deterministic."""
    from lightgbm import LGBMRegressor

    if name not in MODELS:
        raise ValueError(f"model={name!r}; rule: one of {', '.join(MODELS)}")
    settings = dict(MODELS[name], **overrides)  # overrides: a variant a benchmark scores beside it
    return LGBMRegressor(
        **settings, random_state=random_state, n_jobs=1, deterministic=True, force_row_wise=True, verbose=-1
    )


class Surrogate:
    """Fitted models of one table (``keys``: fit on these networks only, e.g. a training
    split; default every network; ``model``: one of :data:`MODELS`)."""

    def __init__(self, table: BenchTable, keys=None, random_state: int = 0, model: str = MODEL):
        nets = table.networks()
        keys = list(nets) if keys is None else list(keys)
        if len(keys) < 10:
            raise ValueError(f"surrogate: {len(keys)} networks to fit on; rule: at least 10")
        self.table, self.n_max, self.keys = table, table.n_max, keys
        x = np.stack([features(genome_from_key(k), self.n_max) for k in keys])
        self.model = model
        self.val_model = _model(random_state, model).fit(x, [np.mean(nets[k]["val"]) for k in keys])
        self.test_model = _model(random_state, model).fit(x, [np.mean(nets[k]["test"]) for k in keys])
        self.seed_noise = SeedNoise([nets[k]["val"] for k in keys])  # a fitness draw's SD at its mean
        self._means: dict = {}

    @property
    def noise_sd(self) -> float:
        """The pooled seed SD of the fitness (draws use ``seed_noise.sd`` at their mean)."""
        return self.seed_noise.pooled

    def means(self, genomes) -> list[tuple[float, float]]:
        """(mean validation, mean test) of each genome, remembered: the models are called
        once for all those not seen before (a tree ensemble answers a batch of a hundred
        in about the time of one)."""
        keys = [g.key() for g in genomes]  # a string a genome remembers: cheaper to hash than the genome
        unique = dict(zip(keys, genomes))
        todo = [k for k in unique if k not in self._means]
        if todo:
            if len(self._means) + len(todo) > MEANS_KEPT:
                self._means.clear()
                todo = list(unique)
            out = self.predict([unique[k] for k in todo])
            self._means.update(zip(todo, zip(out["val"].tolist(), out["test"].tolist())))
        return [self._means[k] for k in keys]

    def predict(self, genomes) -> dict[str, np.ndarray]:
        """Mean validation and test accuracy of each genome (clipped to [0, 1])."""
        x = np.stack([features(g, self.n_max) for g in genomes])
        val = self.val_model.booster_.predict(x, num_threads=1)
        test = self.test_model.booster_.predict(x, num_threads=1)
        return {"val": np.clip(val, 0.0, 1.0), "test": np.clip(test, 0.0, 1.0)}


def fitted(table: BenchTable, random_state: int = 0) -> Surrogate:
    """The surrogate of ``table`` fitted once per process."""
    key = (str(table.path), len(table), random_state)
    if key not in _FITTED:
        _FITTED[key] = Surrogate(table, random_state=random_state)
    return _FITTED[key]


class MemoryArchive(dict):
    """An archive in memory (``archive="memory"``): what a run directory's SQLite archive
    does for a search (a genome evaluated before is answered, not evaluated again), for
    the thousands of short searches of a benchmark that keep no run directory."""

    def put(self, key: str, genome: AnyGenome, record: dict) -> None:
        self[key] = dict(record)


class SurrogateEvaluator(EvaluatorBase):
    """``genome -> {"accuracy", "test_accuracy", "params", "macs", ...}`` from a surrogate.

    ``table``: a :class:`BenchTable` or a path (default: the table shipped in the
    package). ``noise``: each evaluation's fitness is the model's mean plus a draw from the
    table's seed noise at that mean (a re-evaluation draws anew), seeded by ``seed``;
    False: the mean.
    A genome outside the table's space (N, the input size) is refused in one line.

    ``archive`` (an :class:`~tsenas_pymoo.evaluation.Archive`, an ``.sqlite`` path, or
    ``"memory"``: a :class:`MemoryArchive`), as
    ``tsenas search --evaluator surrogate`` runs it: every result is archived with its
    generation, and a genome already there is answered from it, as a real search does; a
    genome the algorithm evaluates again (Alg. 4 line 7: s beside its children) is
    archived and drawn under its own key, as under real training with another seed."""

    def __init__(
        self,
        table: BenchTable | str | None = None,
        noise: bool = True,
        seed: int = 0,
        surrogate=None,
        archive=None,
    ):
        from ..evaluation.archive import Archive

        self.table = table if isinstance(table, BenchTable) else load_table(table)
        self.surrogate = surrogate or fitted(self.table)
        self.noise, self.seed = bool(noise), int(seed)
        self.input_shape = self.table.input_shape
        self.num_classes = int(self.table.meta["num_classes"])
        self.n_min, self.n_max = self.table.n_min, self.table.n_max
        self.width = int(self.table.meta["settings"].get("init_channels", 8))
        self.epochs = int(self.table.meta["settings"].get("epochs", 1))
        self._draws: dict[str, int] = {}
        if archive == "memory":
            self.archive = MemoryArchive()
        else:
            self.archive = Archive(archive) if isinstance(archive, (str, Path)) else archive
        self.store = None  # no weights: no SuperNet, no inheritance
        self.generation: int | None = None
        self.progress = False
        self.lineage = Lineage()  # no store: only the repeats' keys are kept
        self.archive_hits = self.trained = 0

    def search_data(self) -> dict:
        """What a run's report records about the data: the table's settings."""
        return {"search_data": {"surrogate": self.table.meta["settings"]}}

    def train_supernet(self, epochs: int = 0) -> dict:
        raise ValueError("train_supernet: a surrogate has no weights; rule: --supernet-epochs 0")

    # -- the algorithm's notes that change what is evaluated (tsenas_pymoo/interface.py) --
    def note_generation(self, generation: int) -> None:
        self.generation = generation

    def note_repeats(self, repeats) -> None:
        self.lineage.note_repeats(repeats)

    def retain(self, genomes) -> int:
        return self.lineage.retain(genomes)

    def prefetch(self, genomes) -> None:
        """A population's means in one call of the models, before pymoo evaluates it one by
        one (the problems hand each batch here: :func:`~tsenas_pymoo.search.problem.prefetch`)."""
        self.surrogate.means(genomes)

    def __deepcopy__(self, memo):  # shared by pymoo's copies, like TorchEvaluator
        return self

    def check(self, genome: AnyGenome) -> None:
        try:
            genome.validate(self.n_min, self.n_max, self.input_shape)
        except ValueError as err:
            raise ValueError(
                f"genome {genome.key()}: {err}; the surrogate's table covers N {self.n_min}-{self.n_max} "
                f"at input {self.input_shape}"
            ) from None

    def __call__(self, genome: AnyGenome) -> dict:
        key = self.lineage.eval_key(genome)
        if self.archive is not None:
            known = self.archive.get(key)
            if known is not None:  # archived only once checked: the same key is the same genome
                self.archive_hits += 1
                return dict(known, archived=True)
        self.check(genome)
        result = self.predict(genome, key)
        self.trained += 1
        if self.archive is not None:
            self.archive.put(key, genome, dict(result, generation=self.generation))
        return dict(result, archived=False)

    def cost(self, genome: AnyGenome) -> tuple[int, int]:
        """(params, MACs) of ``genome`` at the table's width and input size, exact."""
        return _cost(genome.expand(), self.input_shape, self.num_classes, self.width)

    def predict(self, genome: AnyGenome, key: str | None = None) -> dict:
        """The surrogate's answer for ``genome`` (a fitness draw under ``key``)."""
        key = key or genome.key()
        ((val, test),) = self.surrogate.means([genome])
        accuracy = val
        sd = self.surrogate.seed_noise.sd(val) if self.noise else 0.0
        if sd > 0:
            draw = self._draws[key] = self._draws.get(key, 0) + 1
            rng = np.random.default_rng([genome_seed(self.seed, key), draw])  # as real training seeds it
            accuracy = float(np.clip(val + rng.normal(0.0, sd), 0.0, 1.0))
        params, macs = self.cost(genome)
        return {
            "accuracy": accuracy,
            "mean_accuracy": val,
            "test_accuracy": test,
            "params": params,
            "macs": macs,
            "flops": 2 * macs,
            "epochs": self.epochs,
            "status": "ok",
        }


@lru_cache(maxsize=200_000)
def _cost(fine, input_shape, num_classes: int, width: int) -> tuple[int, int]:
    from ..space.cost import cost_by_parts

    cost = cost_by_parts(fine, input_shape, num_classes, width)
    return cost["params"], cost["macs"]


__all__ = ["MODEL", "MODELS", "MemoryArchive", "Surrogate", "SurrogateEvaluator", "fitted", "seed_sd"]
