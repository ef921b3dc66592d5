"""Statistics for comparing search methods over seeds: an omnibus test first, then pairs.

:func:`compare_groups` is the protocol the comparisons report (docs/results.md,
docs/surrogate.md): Kruskal-Wallis over all methods; then every pair (or every
method against ``control``) with a two-sided Mann-Whitney U test, Holm-corrected over the
pairs; beside each p-value the effect in the data's units (the Hodges-Lehmann shift: the
median of all cross-group differences) and as Cliff's delta (the probability that a
draw of one method beats a draw of the other, minus the reverse), each with a bootstrap
95 % interval. :func:`seeds_needed` sizes a campaign: the seeds per method for a
Mann-Whitney test to detect a shift with the given power, never fewer than the exact
test needs to reach the level at all (:func:`smallest_p`: with 3 seeds per method no
two-sided p falls below 0.1, whatever the shift).

All of it is scipy.stats and NumPy on plain lists of per-seed results.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (family-wise error), in the input order."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    adjusted = np.empty_like(p)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()


def hodges_lehmann(a: Sequence[float], b: Sequence[float]) -> float:
    """The median of all differences a_i - b_j: the shift of a over b."""
    return float(np.median(np.subtract.outer(np.asarray(a, float), np.asarray(b, float))))


def cliffs_delta(a: Sequence[float], b: Sequence[float]) -> float:
    """P(a > b) - P(a < b) over all pairs: -1 .. 1, 0 when neither tends to be larger."""
    diff = np.subtract.outer(np.asarray(a, float), np.asarray(b, float))
    return float((diff > 0).mean() - (diff < 0).mean())


def _bootstrap(a, b, statistic, n_resamples: int, rng) -> list[float]:
    a, b = np.asarray(a, float), np.asarray(b, float)
    values = [
        statistic(rng.choice(a, size=len(a), replace=True), rng.choice(b, size=len(b), replace=True))
        for _ in range(n_resamples)
    ]
    return [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))]


def compare_groups(
    groups: Mapping[str, Sequence[float]],
    control: str | None = None,
    n_resamples: int = 2000,
    seed: int = 0,
) -> dict:
    """Kruskal-Wallis over ``groups`` (method -> per-seed values), then pairwise two-sided
    Mann-Whitney U with Holm's correction (every pair, or each method against
    ``control``), with Hodges-Lehmann shifts and Cliff's deltas and their intervals."""
    from scipy.stats import kruskal, mannwhitneyu

    names = list(groups)
    if len(names) < 2 or any(len(groups[n]) < 2 for n in names):
        raise ValueError("groups: rule: at least 2 methods with at least 2 values each")
    if control is not None and control not in groups:
        raise ValueError(f"control={control!r}; rule: one of {', '.join(names)}")
    rng = np.random.default_rng(seed)
    values = [np.asarray(groups[n], float) for n in names]
    flat = np.concatenate(values)
    omnibus = {"test": "kruskal-wallis", "p": 1.0 if np.ptp(flat) == 0 else float(kruskal(*values).pvalue)}
    pairs = (
        [(control, n) for n in names if n != control] if control is not None else list(itertools.combinations(names, 2))
    )
    rows = []
    for a, b in pairs:
        x, y = groups[a], groups[b]
        same = np.ptp(np.concatenate([x, y])) == 0
        rows.append(
            {
                "a": a,
                "b": b,
                "median_a": float(np.median(x)),
                "median_b": float(np.median(y)),
                "shift": hodges_lehmann(x, y),
                "shift_ci95": _bootstrap(x, y, hodges_lehmann, n_resamples, rng),
                "cliffs_delta": cliffs_delta(x, y),
                "cliffs_delta_ci95": _bootstrap(x, y, cliffs_delta, n_resamples, rng),
                "p": 1.0 if same else float(mannwhitneyu(x, y, alternative="two-sided").pvalue),
            }
        )
    for row, adjusted in zip(rows, holm([r["p"] for r in rows])):
        row["p_holm"] = adjusted
    return {"omnibus": omnibus, "pairs": rows, "n": {n: len(groups[n]) for n in names}}


def smallest_p(n_a: int, n_b: int) -> float:
    """The smallest p-value the exact two-sided Mann-Whitney test (scipy's for small samples
    without ties) can give two groups of ``n_a`` and ``n_b``: complete separation, one
    ordering out of C(n_a + n_b, n_a), counted on both sides."""
    from math import comb

    return min(1.0, 2 / comb(n_a + n_b, n_a))


def fewest_seeds(alpha: float = 0.05, comparisons: int = 1) -> int:
    """The fewest seeds per method whose :func:`smallest_p` reaches ``alpha / comparisons``:
    below them no shift, however large, is significant."""
    return next(n for n in itertools.count(2) if smallest_p(n, n) <= alpha / comparisons)


def _z(alpha: float, power: float, comparisons: int) -> float:
    """The two-sided z of level ``alpha / comparisons`` plus the z of ``power``."""
    from scipy.stats import norm

    return norm.ppf(1 - alpha / comparisons / 2) + norm.ppf(power)


def seeds_needed(shift: float, sd: float, alpha: float = 0.05, power: float = 0.8, comparisons: int = 1) -> int:
    """Seeds per method for a two-sided Mann-Whitney test at level ``alpha`` (divided by
    ``comparisons``, Bonferroni's bound on Holm) to detect a shift of ``shift`` between two
    normal populations of SD ``sd`` with ``power``: the two-sample z formula divided by
    the test's asymptotic relative efficiency, 3/pi; at least the fewest seeds whose
    :func:`fewest_seeds`."""
    if shift <= 0 or sd <= 0:
        raise ValueError(f"shift={shift}, sd={sd}; rule: both positive")
    z = _z(alpha, power, comparisons)
    return max(fewest_seeds(alpha, comparisons), int(np.ceil(2 * (z * sd / shift) ** 2 / (3 / np.pi))))


def detectable_shift(seeds: int, sd: float, alpha: float = 0.05, power: float = 0.8, comparisons: int = 1) -> float:
    """The smallest shift a campaign of ``seeds`` per method detects with ``power`` (the
    inverse of :func:`seeds_needed`, same assumptions): what a comparison that found no
    difference could have found; infinite when the exact test cannot reach the level with
    ``seeds`` per method (:func:`fewest_seeds`), however large the shift."""
    if seeds < 2 or sd <= 0:
        raise ValueError(f"seeds={seeds}, sd={sd}; rule: seeds >= 2 and sd > 0")
    if seeds < fewest_seeds(alpha, comparisons):
        return float("inf")  # the exact test cannot reach the level with so few seeds
    z = _z(alpha, power, comparisons)
    return float(z * sd * np.sqrt(2 / (seeds * 3 / np.pi)))


__all__ = [
    "cliffs_delta",
    "compare_groups",
    "detectable_shift",
    "fewest_seeds",
    "hodges_lehmann",
    "holm",
    "seeds_needed",
    "smallest_p",
]
