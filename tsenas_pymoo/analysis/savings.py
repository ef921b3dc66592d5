"""What an inherited epoch is worth: the scratch-training equivalent and its interval.

Weight inheritance (Sec. IV-B2 and the lineage of :mod:`.lineage`) promises that a
network trained briefly from inherited weights scores like one trained longer from
scratch. These helpers turn measured accuracies into that promise's numbers:

* :func:`scratch_equivalent`: the scratch epochs whose accuracy equals an inherited
  network's, interpolated on log2(epochs) between the measured scratch points; the
  *saving* of ``e`` inherited epochs is ``equivalent - e`` (an equivalence of 4 for one
  inherited epoch saves 3 epochs, not 4);
* :func:`hierarchical_bootstrap`: resample the independent units first (search seeds),
  then the children within each: children of one population are not independent;
* :func:`interval`: the percentile interval and the two-sided bootstrap p-value of
  "the statistic is 0".

All take plain arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np


def scratch_equivalent(value: float, scratch: Mapping[int, float]) -> dict:
    """The scratch epochs that reach accuracy ``value``, given the mean scratch accuracy
    after each measured epoch count (``{1: 0.71, 2: 0.76, 4: 0.80, 8: 0.83}``).

    The curve is made non-decreasing (its running maximum: more training never counts
    as worse) and interpolated linearly in log2(epochs). Outside the measured range the
    answer is censored, never extrapolated: ``censored="below"`` (worth at most the
    fewest epochs measured) or ``"above"`` (at least the most)."""
    if len(scratch) < 2:
        raise ValueError(f"scratch: {len(scratch)} epoch counts; rule: at least 2")
    epochs = np.array(sorted(scratch), dtype=float)
    if epochs[0] <= 0:
        raise ValueError(f"scratch: epochs {epochs[0]:g}; rule: positive epoch counts")
    curve = np.maximum.accumulate(np.array([scratch[int(e)] for e in epochs], dtype=float))
    if value <= curve[0]:
        return {"epochs": float(epochs[0]), "censored": "below" if value < curve[0] else None}
    if value > curve[-1]:
        return {"epochs": float(epochs[-1]), "censored": "above"}
    upper = int(np.argmax(curve >= value))  # the first point at or above the value
    lo, hi = curve[upper - 1], curve[upper]
    share = 1.0 if hi == lo else (value - lo) / (hi - lo)
    log_epochs = np.log2(epochs[upper - 1]) + share * (np.log2(epochs[upper]) - np.log2(epochs[upper - 1]))
    return {"epochs": float(2.0**log_epochs), "censored": None}


def hierarchical_bootstrap(
    groups: Sequence[np.ndarray],
    statistic: Callable[[np.ndarray], float],
    n_resamples: int = 2000,
    rng: np.random.Generator | int | None = 0,
) -> np.ndarray:
    """``statistic`` over ``n_resamples`` two-level resamples: draw the groups (search
    seeds) with replacement, then the rows (children) within each drawn group; the drawn
    rows are stacked and handed to ``statistic``. With one group only the rows are drawn."""
    if not groups or any(len(g) == 0 for g in groups):
        raise ValueError("groups: rule: at least one group, none empty")
    rng = np.random.default_rng(rng)
    groups = [np.asarray(g) for g in groups]
    values = np.empty(n_resamples)
    for i in range(n_resamples):
        picked = rng.integers(len(groups), size=len(groups)) if len(groups) > 1 else [0]
        rows = [groups[j][rng.integers(len(groups[j]), size=len(groups[j]))] for j in picked]
        values[i] = statistic(np.concatenate(rows))
    return values


def interval(values: np.ndarray, estimate: float, null: float = 0.0) -> dict:
    """``estimate`` with the 95 % percentile interval of its bootstrap ``values`` and the
    two-sided p-value of "the statistic equals ``null``" (twice the smaller tail share,
    at least one resample's worth)."""
    values = np.asarray(values, dtype=float)
    tail = min(np.mean(values <= null), np.mean(values >= null))
    return {
        "estimate": float(estimate),
        "ci95": [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))],
        "p": float(min(1.0, max(2 * tail, 1 / len(values)))),
        "resamples": len(values),
    }


__all__ = ["hierarchical_bootstrap", "interval", "scratch_equivalent"]
