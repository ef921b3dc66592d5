"""The seed noise of one training's fitness, as a function of how good the network is.

Measured on the surrogate table's repeated networks (three training seeds each), the
noise is far from constant: poor networks, whose one short training sometimes fails to
take off, scatter several times more than good ones (the seed SD by quintile of mean
validation accuracy is in ``results/surrogate_fit.json``: ``noise_model``). One pooled
SD would give the good networks a search chooses among several times the noise they
have under real training, so a draw takes its SD from the network's own mean.
"""

from __future__ import annotations

import numpy as np

BINS, PER_BIN = 5, 10  # at most 5 bins of at least 10 repeated networks (20 degrees of freedom)


def seed_sd(scores_per_network) -> float:
    """Pooled within-network SD of networks trained with several seeds (0 if none were)."""
    groups = [np.asarray(s, dtype=float) for s in scores_per_network if len(s) >= 2]
    if not groups:
        return 0.0
    within = sum(((g - g.mean()) ** 2).sum() for g in groups)
    return float(np.sqrt(within / sum(len(g) - 1 for g in groups)))


class SeedNoise:
    """SD of one training's score at a network's mean score. The repeated networks are
    sorted by mean score into equal bins (``BINS``, fewer when there are fewer than
    ``PER_BIN`` networks a bin); each bin's pooled SD sits at its median mean, with
    straight lines between and the end bins' values beyond. Bins, not a smooth fit of
    each network's own variance: from three seeds one variance is a chi-square draw
    with two degrees of freedom, and a fit that follows single networks (isotonic
    regression was tried) ends on the luckiest one. Under two bins' worth of repeated
    networks: the pooled SD everywhere."""

    def __init__(self, scores_per_network):
        groups = [np.asarray(s, dtype=float) for s in scores_per_network if len(s) >= 2]
        self.pooled = seed_sd(groups)
        self.means = self.sds = None
        bins = min(BINS, len(groups) // PER_BIN)
        if bins >= 2:
            order = np.argsort([g.mean() for g in groups], kind="stable")
            parts = [[groups[i] for i in part] for part in np.array_split(order, bins)]
            self.means = np.array([np.median([g.mean() for g in part]) for part in parts])
            self.sds = np.array([seed_sd(part) for part in parts])

    def sd(self, mean: float) -> float:
        """The SD of one training's score for a network of mean score ``mean``."""
        if self.means is None:
            return self.pooled
        return float(np.interp(mean, self.means, self.sds))

    def table(self) -> list[dict]:
        """The bins: median mean score, pooled SD (empty under the pooled fallback)."""
        if self.means is None:
            return []
        return [{"mean": float(m), "sd": float(s)} for m, s in zip(self.means, self.sds)]


__all__ = ["SeedNoise", "seed_sd"]
