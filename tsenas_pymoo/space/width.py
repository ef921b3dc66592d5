"""Network widths: a fixed number, or a rule that puts every network at a budget.

A network's width is its stem's channel count ``w``; the cells at halving level ``k``
have ``round(w * 2**k)`` channels (:func:`stage_channels`), so a reduction cell doubles
the width as in the paper. An integer ``w`` gives exactly the paper's widths; a fractional
``w`` (a multiple of :data:`WIDTH_STEP`) lets a width rule land close to a budget.

:class:`BudgetWidth` is iso-budget evaluation: each genome is built at the largest width
whose network stays within ``max_params`` and ``max_macs`` (multiply-adds per image, the
paper's "FLOPs"), so candidates are compared at equal cost and a fitness cannot win by
capacity alone. A genome that exceeds the budget even at ``min_width`` is infeasible
(the problem's constraints mark it; it is never trained). Wherever the package takes an
``init_channels``, a width rule may stand in its place.

Kept free of torch: the cost is counted (``space/cost.py``) only when a rule is called.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

#: Grid of a width rule's widths: 1/8 channel of the stem (one channel at the third halving).
WIDTH_STEP = 0.125


def stage_channels(width: float, level: int) -> int:
    """Channels of the cells ``level`` halvings below the stem: ``round(width * 2**level)``
    (halves up), at least 1."""
    return max(1, int(math.floor(width * 2**level + 0.5)))


def _positive(name: str, value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 1:
        raise ValueError(f"{name}={value!r}; rule: a positive number, or None for no limit")
    return int(value)


@dataclass(frozen=True)
class Budget:
    """Upper limits on a network's parameters and MACs (multiply-adds per image); None:
    no limit. Its constraint values are pymoo's ``G`` (feasible when <= 0).

    ``min_use`` (optional, in (0, 1]): each limit must also be used to at least this share
    (``min_use - cost / limit <= 0``), for comparisons at equal cost (Table III at equal
    parameters and MACs within 10 %: ``min_use=0.9``)."""

    max_params: int | None = None
    max_macs: int | None = None
    min_use: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "max_params", _positive("max_params", self.max_params))
        object.__setattr__(self, "max_macs", _positive("max_macs", self.max_macs))
        if self.min_use is not None and not (
            isinstance(self.min_use, (int, float)) and not isinstance(self.min_use, bool) and 0 < self.min_use <= 1
        ):
            raise ValueError(f"min_use={self.min_use!r}; rule: a share in (0, 1], or None")
        if self.min_use is not None and not self.names:
            raise ValueError("min_use: rule: a budget (max_params and/or max_macs) to use")

    @property
    def names(self) -> tuple[str, ...]:
        """The limited costs, in the order of the constraint values."""
        return tuple(name for name in ("params", "macs") if getattr(self, f"max_{name}") is not None)

    @property
    def n_constraints(self) -> int:
        return len(self.names) * (2 if self.min_use is not None else 1)

    def __bool__(self) -> bool:
        return bool(self.names)

    def use(self, cost: dict) -> list[float]:
        """``cost / limit`` for each limit."""
        return [cost[name] / getattr(self, f"max_{name}") for name in self.names]

    def violations(self, cost: dict) -> list[float]:
        """pymoo's G (<= 0 inside the budget): ``cost / limit - 1`` for each limit, then
        ``min_use - cost / limit`` for each when ``min_use`` is set."""
        use = self.use(cost)
        return [u - 1.0 for u in use] + ([self.min_use - u for u in use] if self.min_use is not None else [])

    def within_limits(self, cost: dict) -> bool:
        """Every limit kept (``min_use`` aside): what a width rule widens up to."""
        return all(u <= 1.0 for u in self.use(cost))

    def fits(self, cost: dict) -> bool:
        return all(v <= 0 for v in self.violations(cost))

    def to_dict(self) -> dict:
        return {"max_params": self.max_params, "max_macs": self.max_macs, "min_use": self.min_use}


@dataclass(frozen=True)
class BudgetWidth:
    """Iso-budget evaluation: ``rule(genome)`` is the largest width on the
    :data:`WIDTH_STEP` grid in ``[min_width, max_width]`` at which ``genome``'s network on
    ``input_shape`` inputs with ``num_classes`` outputs fits ``budget`` (``min_width`` when
    none does: the budget constraint then marks the genome infeasible)."""

    budget: Budget
    input_shape: tuple[int, int, int]
    num_classes: int = 10
    min_width: float = 2.0
    max_width: float = 256.0

    def __post_init__(self):
        if not isinstance(self.budget, Budget) or not self.budget:
            raise ValueError(f"budget={self.budget!r}; rule: a Budget with max_params and/or max_macs")
        object.__setattr__(self, "input_shape", tuple(int(v) for v in self.input_shape))
        if not 2 <= self.min_width <= self.max_width:
            raise ValueError(f"min_width={self.min_width}, max_width={self.max_width}; rule: 2 <= min <= max")

    def __call__(self, genome) -> float:
        return _budget_width(self, genome.key())

    def describe(self) -> str:
        limits = ", ".join(f"{n} <= {getattr(self.budget, f'max_{n}'):,}" for n in self.budget.names)
        return f"the widest network with {limits}"


@functools.lru_cache(maxsize=100_000)
def _budget_width(rule: BudgetWidth, key: str) -> float:
    from .cost import cost_by_parts
    from .genome import genome_from_key

    genome = genome_from_key(key)

    def fits(k: int) -> bool:
        width = rule.min_width + k * WIDTH_STEP
        return rule.budget.within_limits(cost_by_parts(genome, rule.input_shape, rule.num_classes, width))

    lo, hi = 0, int((rule.max_width - rule.min_width) / WIDTH_STEP)
    if not fits(lo):
        return rule.min_width
    while lo < hi:  # the largest k that fits: the cost never falls as the width grows
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
    return rule.min_width + lo * WIDTH_STEP


def resolve_width(width, genome) -> float:
    """The width of ``genome``'s network: ``width`` itself, or a width rule's answer."""
    return width(genome) if callable(width) else width


def width_label(width) -> float | str:
    """How a width setting is recorded: the number, or the rule in words."""
    return width.describe() if callable(width) else width


@dataclass(frozen=True)
class Skeleton:
    """A fixed macro skeleton (option of the budget design): N cells, reduction cells
    exactly at ``reductions`` (1-based positions). The search then picks each cell among
    its type's Table II codes and every free input; Fig. 3's operators keep types, so
    they stay inside it."""

    n_cells: int
    reductions: tuple[int, ...]

    def __post_init__(self):
        object.__setattr__(self, "reductions", tuple(sorted(int(r) for r in self.reductions)))
        if not (isinstance(self.n_cells, int) and self.n_cells >= 1):
            raise ValueError(f"skeleton: N={self.n_cells!r}; rule: an integer >= 1")
        if len(set(self.reductions)) != len(self.reductions) or any(
            not 1 <= r <= self.n_cells for r in self.reductions
        ):
            raise ValueError(f"skeleton: reductions {self.reductions}; rule: distinct positions in 1..{self.n_cells}")

    @classmethod
    def parse(cls, text: str) -> Skeleton:
        """``"8:3,6"``: N = 8, reductions at cells 3 and 6 (``"8:"``: none)."""
        n, _, rest = str(text).partition(":")
        try:
            return cls(int(n), tuple(int(r) for r in rest.split(",") if r.strip()))
        except ValueError as err:
            if "skeleton" in str(err):
                raise
            raise ValueError(f"skeleton={text!r}; rule: N:positions, e.g. 8:3,6") from None

    def is_reduction(self, position: int) -> bool:
        return position in self.reductions

    def check_capacity(self, input_shape: Sequence[int]) -> None:
        from .genome import max_reductions

        cap = max_reductions(self.n_cells, input_shape)
        if len(self.reductions) > cap:
            raise ValueError(
                f"skeleton {self}: {len(self.reductions)} reductions; rule: at most {cap} for N={self.n_cells} "
                f"on {tuple(input_shape)} inputs"
            )

    def __str__(self) -> str:
        return f"{self.n_cells}:{','.join(map(str, self.reductions))}"


__all__ = ["WIDTH_STEP", "Budget", "BudgetWidth", "Skeleton", "resolve_width", "stage_channels", "width_label"]
