"""TS-ENAS's settings beside its operators: :class:`TSENASOptions`, and
:func:`tsenas_keywords`, the flat settings (the CLI's flags; ``TSENAS``'s own keywords
before 0.8.1) as ``TSENAS``'s keywords."""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..operators.crossover import CellCrossover
from ..operators.mutation import CellMutation
from ..operators.survival import AlphaLevelSurvival

#: Settings that shape the paper's default operators: gamma and the crossover's variants
#: (Fig. 3a), beta and the mutation's kinds (Fig. 3b), alpha (Sec. IV-B4).
OPERATOR_SETTINGS = {
    "crossover_prob": 0.8,
    "single_point_crossover": False,
    "carry_connections": False,
    "mutation_prob": 0.2,
    "mutation_kinds": ("cell", "connection"),
    "alpha": 0.01,
}


def check_count(name: str, value, low: int) -> None:
    """One clear line unless ``value`` is an integer (not a bool) of at least ``low``."""
    if not (isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= low):
        raise ValueError(f"{name}={value}; rule: an integer >= {low}")


@dataclass(frozen=True)
class TSENASOptions:
    """How TS-ENAS runs, beyond P, S, T0, T1 and its operators (the paper's behaviour where
    the field says so).

    Stage 1 (Alg. 2): ``update_every``: the weight store is updated from the population
    (Sec. IV-B2 Steps 1-4) every this many generations (paper: 1); ``n_max_iterations``:
    how often a generation may draw again to replace duplicates; ``mutate_offspring`` (on
    since 0.3, chosen on development seeds; the paper's: False) also mutates each crossover
    child with probability beta, as pymoo's GA does; ``remake_known`` makes again any
    offspring evaluated earlier in the run, so each generation trains P new networks;
    ``count_initial`` counts the initial population as one of the T0 generations (before
    0.3).

    Stage 2 (Alg. 4): ``fine_kinds`` (a subset of node, edge), ``fine_cells`` (cells edited
    per child: None, every cell), ``prune`` (False: each parent makes only the mutated
    child p1), ``reevaluate`` (Alg. 4 line 7: s is evaluated again beside p1 and p2;
    False compares the children with s's earlier score)."""

    update_every: int = 1
    n_max_iterations: int = 100
    mutate_offspring: bool = True
    remake_known: bool = False
    count_initial: bool = False
    fine_kinds: tuple[str, ...] = ("node", "edge")
    fine_cells: int | None = None
    prune: bool = True
    reevaluate: bool = True

    def __post_init__(self):
        check_count("update_every", self.update_every, 1)
        check_count("n_max_iterations", self.n_max_iterations, 1)
        cells = self.fine_cells
        if cells is not None and not (isinstance(cells, (int, np.integer)) and cells >= 1):
            raise ValueError(f"fine_cells={self.fine_cells}; rule: an integer >= 1, or None for every cell")
        kinds = tuple(self.fine_kinds)
        if not kinds or any(k not in ("node", "edge") for k in kinds):
            raise ValueError(f"fine_kinds={kinds}; rule: a non-empty subset of node, edge")
        object.__setattr__(self, "fine_kinds", kinds)

    def replace(self, **changes) -> TSENASOptions:
        return dataclasses.replace(self, **changes)


OPTION_NAMES = tuple(f.name for f in dataclasses.fields(TSENASOptions))


def default_operators(settings: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """``given`` operators (None: the paper's), each default shaped by ``settings``
    (:data:`OPERATOR_SETTINGS`); an operator given together with settings of its default
    is refused."""
    s = {**OPERATOR_SETTINGS, **settings}
    for name, value in (("crossover_prob", s["crossover_prob"]), ("mutation_prob", s["mutation_prob"])):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name}={value}; rule: a probability in [0, 1]")
    shapes = {
        "crossover": ("crossover_prob", "single_point_crossover", "carry_connections"),
        "mutation": ("mutation_prob", "mutation_kinds"),
        "survival": ("alpha",),
    }
    for name, keys in shapes.items():
        shaped = any(k in settings and _differs(settings[k], OPERATOR_SETTINGS[k]) for k in keys)
        if given.get(name) is not None and shaped:
            raise ValueError(f"{name}={given[name]!r} with settings of the default {name}; rule: one or the other")
    return {
        "crossover": given.get("crossover")
        or CellCrossover(
            prob=s["crossover_prob"], single_point=s["single_point_crossover"], carry_connections=s["carry_connections"]
        ),
        "mutation": given.get("mutation") or CellMutation(prob=s["mutation_prob"], kinds=tuple(s["mutation_kinds"])),
        "survival": given.get("survival") or AlphaLevelSurvival(alpha=s["alpha"]),
    }


def _differs(value, default) -> bool:
    return tuple(value) != default if isinstance(default, tuple) else value != default


def deprecated_flat_keywords(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The flat settings passed to ``TSENAS`` itself (its keywords before 0.8.1), taken out
    of ``kwargs`` with one ``DeprecationWarning``."""
    flat = {k: kwargs.pop(k) for k in (*OPERATOR_SETTINGS, *OPTION_NAMES, "n_fine") if k in kwargs}
    if flat:
        warnings.warn(
            f"TSENAS({', '.join(flat)}=...) is deprecated; rule: TSENAS(**tsenas_keywords(...)) or "
            "its operators and options=TSENASOptions(...)" + ("; n_fine is now fine_size" if "n_fine" in flat else ""),
            DeprecationWarning,
            stacklevel=3,
        )
    return flat


def tsenas_keywords(**settings: Any) -> dict[str, Any]:
    """``TSENAS``'s keywords from flat settings: its own (``pop_size``, ``fine_size``,
    ``stage1_gens``, ``stage2_gens``, operators), the operator settings
    (:data:`OPERATOR_SETTINGS`: gamma, beta, alpha, ...) as the paper's operators shaped by
    them, and the :class:`TSENASOptions` fields as ``options``. An unknown name is one
    ``TypeError`` naming it."""
    known = {"pop_size", "fine_size", "stage1_gens", "stage2_gens", "sampling", "selection", "options"}
    operators = ("crossover", "mutation", "survival")
    unknown = sorted(set(settings) - known - set(operators) - set(OPERATOR_SETTINGS) - set(OPTION_NAMES))
    if unknown:
        raise TypeError(f"TSENAS: {', '.join(unknown)} is not a setting it takes")
    options = settings.pop("options", None) or TSENASOptions()
    fields = {k: settings.pop(k) for k in OPTION_NAMES if k in settings}
    shaping = {k: settings.pop(k) for k in OPERATOR_SETTINGS if k in settings}
    given = {k: settings.pop(k, None) for k in operators}
    return {**settings, **default_operators(shaping, given), "options": options.replace(**fields)}


__all__ = [
    "OPERATOR_SETTINGS",
    "OPTION_NAMES",
    "TSENASOptions",
    "default_operators",
    "deprecated_flat_keywords",
    "tsenas_keywords",
]
