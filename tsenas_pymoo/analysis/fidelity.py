"""How far a fitness can be trusted: repeatability and rank fidelity of a proxy.

A search can only select on the part of its fitness that belongs to the architecture
(the breeder's equation). These helpers measure that part and how well a cheap proxy
orders networks like an expensive target:

* :func:`icc1`: the one-way intraclass correlation ICC(1) of a (networks x seeds)
  table: the share of the score's variance that is the architecture's (1: seeds never
  change the score; about 0: the score is seed noise only).
* :func:`rank_fidelity`: Kendall tau and Spearman rho of a proxy against a target,
  the same among the target's top quarter (where a search chooses), and the top-10 %
  recall.
* :func:`winners_curse`: the optimism of "best of n by this score".
* :func:`rescore_gain`: what re-scoring the top candidates with fresh seeds (the
  ``--rescore-top`` final pick) gains in target score over the pick by one score.
* :func:`kendall_ceiling`: the Kendall tau a noise-free proxy would reach against a
  target that carries seed noise (no proxy can rank a noisy target better).
* :func:`paired_kendall`: the difference in Kendall tau of two proxies against one
  target, with a bootstrap interval over networks (are two proxies told apart?).
* :func:`kendall_interval`: a proxy's Kendall tau with a bootstrap interval over networks.
* :func:`simulated_ceiling`: the ceiling simulated on the networks measured (their target
  means as the truth, the measured seed noise added).
* :func:`finalist_gain`: a finalist round (the top K by the search's fitness promoted to a
  higher fidelity, the pick made there) against the pick by the fitness alone.

All take plain arrays; scipy.stats does the rank statistics.
"""

from __future__ import annotations

import numpy as np


def icc1(scores) -> dict[str, float]:
    """ICC(1) of a (networks, seeds) array (one-way random effects, Shrout & Fleiss):
    ``(MSB - MSW) / (MSB + (k - 1) MSW)``; with the seed SD (the within-network SD) and
    the architecture SD (of the network means, less the seed share)."""
    table = np.asarray(scores, dtype=float)
    if table.ndim != 2 or table.shape[0] < 2 or table.shape[1] < 2:
        raise ValueError(f"scores: shape {table.shape}; rule: (networks >= 2, seeds >= 2)")
    if np.isnan(table).any():
        raise ValueError("scores: NaN in the table; rule: every network scored with every seed")
    n, k = table.shape
    means = table.mean(axis=1)
    ms_between = k * ((means - table.mean()) ** 2).sum() / (n - 1)
    ms_within = ((table - means[:, None]) ** 2).sum() / (n * (k - 1))
    denominator = ms_between + (k - 1) * ms_within
    icc = (ms_between - ms_within) / denominator if denominator > 0 else float("nan")
    arch_var = max(0.0, (ms_between - ms_within) / k)
    return {
        "icc1": float(icc),
        "seed_sd": float(np.sqrt(ms_within)),
        "architecture_sd": float(np.sqrt(arch_var)),
        "networks": n,
        "seeds": k,
    }


def rank_fidelity(proxy, target, top: float = 0.25, recall_top: float = 0.1) -> dict[str, float]:
    """How well ``proxy`` orders networks like ``target`` (higher is better for both):
    Kendall tau and Spearman rho over all networks; Kendall tau among the target's top
    ``top`` share; and the share of the target's top ``recall_top`` that the proxy's top
    ``recall_top`` finds (at least one network each)."""
    from scipy import stats

    proxy, target = np.asarray(proxy, dtype=float), np.asarray(target, dtype=float)
    if proxy.shape != target.shape or proxy.ndim != 1 or len(proxy) < 3:
        raise ValueError(f"proxy {proxy.shape}, target {target.shape}; rule: two 1-d arrays of one length >= 3")
    n = len(proxy)
    best = np.argsort(-target)
    top_idx = best[: max(3, int(round(top * n)))]
    m = max(1, int(round(recall_top * n)))
    found = len(set(np.argsort(-proxy)[:m]) & set(best[:m])) / m
    return {
        "kendall": float(stats.kendalltau(proxy, target).statistic),
        "spearman": float(stats.spearmanr(proxy, target).statistic),
        "kendall_top": float(stats.kendalltau(proxy[top_idx], target[top_idx]).statistic),
        "recall_top10": float(found),
        "networks": n,
        "networks_top": len(top_idx),
    }


def winners_curse(selected, fresh, target, n: int = 10, draws: int = 2000, seed: int = 0) -> dict[str, float]:
    """The optimism of picking the best of ``n`` networks by one score.

    ``selected``: the score the pick is made on (one training seed); ``fresh``: the same
    proxy from other seeds of the same networks (its mean), ``target``: the target's.
    Over ``draws`` random groups of ``n`` networks: the winner's ``selected`` minus its
    ``fresh`` (the winner's curse in the proxy's own scale: how much of its lead was
    luck), its ``selected`` minus its ``target``, and the regret: the group's best
    target minus the winner's target.
    """
    selected, fresh, target = (np.asarray(a, dtype=float) for a in (selected, fresh, target))
    if not selected.shape == fresh.shape == target.shape or len(selected) < n:
        raise ValueError(
            f"selected {selected.shape}, fresh {fresh.shape}, target {target.shape}; rule: "
            f"three arrays of one length >= n={n}"
        )
    rng = np.random.default_rng(seed)
    groups = np.array([rng.choice(len(selected), size=n, replace=False) for _ in range(draws)])
    winners = groups[np.arange(draws), np.argmax(selected[groups], axis=1)]
    return {
        "optimism": float(np.mean(selected[winners] - fresh[winners])),
        "validation_minus_target": float(np.mean(selected[winners] - target[winners])),
        "regret": float(np.mean(target[groups].max(axis=1) - target[winners])),
        "n": n,
        "draws": draws,
    }


def rescore_gain(table, target, n: int = 10, top: int = 3, repeats: int = 2, draws: int = 2000, seed: int = 0) -> dict:
    """The re-scored final pick against the pick by one score, over random groups.

    ``table``: a (networks, seeds) array of one proxy; column 0 is the score the search
    saw, columns ``1..repeats`` are fresh trainings (the re-scoring's from-scratch seeds).
    In each of ``draws`` random groups of ``n`` networks, the search picks the best by
    column 0; the re-scoring takes that score's ``top`` best and picks the best mean of the
    fresh columns. Returns the mean ``target`` of both picks, their mean difference
    (``gain``) with its SD over draws, the share of draws where re-scoring picks a better
    or a worse network, and the trainings it adds (``top * repeats``). Seed luck is the
    only bias this can show: a search whose fitness also rewards longer lineages gains more.
    """
    table, target = np.asarray(table, dtype=float), np.asarray(target, dtype=float)
    if table.ndim != 2 or table.shape[1] < repeats + 1 or len(target) != len(table) or len(table) < n or top > n:
        raise ValueError(
            f"table {table.shape}, target {target.shape}; rule: (networks >= n={n}, seeds >= repeats + 1="
            f"{repeats + 1}) and one target per network, top={top} <= n"
        )
    rng = np.random.default_rng(seed)
    groups = np.array([rng.choice(len(table), size=n, replace=False) for _ in range(draws)])
    order = np.argsort(-table[groups, 0], axis=1, kind="stable")
    searched = groups[np.arange(draws), order[:, 0]]
    finalists = np.take_along_axis(groups, order[:, :top], axis=1)
    fresh = table[finalists][:, :, 1 : repeats + 1].mean(axis=2)
    rescored = finalists[np.arange(draws), np.argmax(fresh, axis=1)]
    diff = target[rescored] - target[searched]
    return {
        "search_pick_target": float(target[searched].mean()),
        "rescored_target": float(target[rescored].mean()),
        "gain": float(diff.mean()),
        "gain_sd": float(diff.std()),
        "better_share": float((diff > 0).mean()),
        "worse_share": float((diff < 0).mean()),
        "added_trainings": top * repeats,
        "n": n,
        "top": top,
        "repeats": repeats,
        "draws": draws,
    }


def kendall_ceiling(icc: float, seeds_per_network) -> dict[str, float]:
    """The Kendall tau of a perfect, noise-free proxy against a noisy target.

    The target of network i is the mean of ``seeds_per_network[i]`` trainings whose share
    of architecture variance is ``icc`` (ICC(1) of one training). A noise-free proxy
    correlates with that target at Pearson ``r = sqrt(icc / (icc + (1 - icc) E[1/k]))``
    (the reliability of the target, Spearman-Brown for k seeds), and for normal scores
    Kendall tau is ``2/pi arcsin(r)`` (Greiner's relation). In expectation no proxy's tau
    against this target exceeds it, whatever the proxy costs (a measured tau on a few dozen
    networks can, by its own sampling error).
    """
    k = np.asarray(seeds_per_network, dtype=float)
    if not 0.0 < icc <= 1.0 or k.ndim != 1 or len(k) == 0 or (k < 1).any():
        raise ValueError(f"icc={icc}, seeds_per_network {k.shape}; rule: 0 < icc <= 1, one count >= 1 per network")
    reliability = icc / (icc + (1.0 - icc) * float(np.mean(1.0 / k)))
    return {
        "pearson": float(np.sqrt(reliability)),
        "kendall": float(2.0 / np.pi * np.arcsin(np.sqrt(reliability))),
        "reliability": float(reliability),
        "networks": len(k),
    }


def paired_kendall(proxy_a, proxy_b, target, draws: int = 1000, seed: int = 0) -> dict[str, float]:
    """Kendall tau of ``proxy_a`` minus that of ``proxy_b`` against one ``target``, with a
    95 % percentile interval from resampling networks (both proxies share each resample,
    so their common luck cancels) and the two-sided bootstrap p-value (twice the smaller
    share of resamples on either side of zero)."""
    from scipy import stats

    a, b, t = (np.asarray(x, dtype=float) for x in (proxy_a, proxy_b, target))
    if not a.shape == b.shape == t.shape or a.ndim != 1 or len(a) < 5:
        raise ValueError(f"proxy_a {a.shape}, proxy_b {b.shape}, target {t.shape}; rule: three 1-d arrays, length >= 5")

    def tau(x, y):
        return stats.kendalltau(x, y).statistic

    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(draws):
        i = rng.integers(0, len(a), len(a))
        diffs.append(tau(a[i], t[i]) - tau(b[i], t[i]))
    diffs = np.array(diffs)
    diffs = diffs[np.isfinite(diffs)]
    low, high = np.percentile(diffs, [2.5, 97.5])
    p = min(1.0, 2 * min((diffs <= 0).mean(), (diffs >= 0).mean()))
    return {
        "difference": float(tau(a, t) - tau(b, t)),
        "low": float(low),
        "high": float(high),
        "p": float(p),
        "networks": len(a),
        "draws": len(diffs),
    }


def kendall_interval(proxy, target, draws: int = 2000, seed: int = 0) -> dict[str, float]:
    """Kendall tau of ``proxy`` against ``target`` with a 95 % percentile interval from
    resampling networks."""
    from scipy import stats

    a, t = np.asarray(proxy, dtype=float), np.asarray(target, dtype=float)
    if a.shape != t.shape or a.ndim != 1 or len(a) < 5:
        raise ValueError(f"proxy {a.shape}, target {t.shape}; rule: two 1-d arrays of one length >= 5")
    rng = np.random.default_rng(seed)
    taus = [stats.kendalltau(a[i], t[i]).statistic for i in (rng.integers(0, len(a), len(a)) for _ in range(draws))]
    taus = np.array(taus)[np.isfinite(taus)]
    low, high = np.percentile(taus, [2.5, 97.5])
    return {
        "kendall": float(stats.kendalltau(a, t).statistic),
        "low": float(low),
        "high": float(high),
        "networks": len(a),
    }


def simulated_ceiling(target_means, seed_sd: float, seeds_per_network, draws: int = 2000, seed: int = 0) -> dict:
    """The Kendall tau a noise-free proxy reaches against a target measured with this
    noise, simulated on the networks themselves: their target means stand for the truth
    and each draw adds the seed noise of the mean of ``seeds_per_network[i]`` trainings
    (normal, SD ``seed_sd``). Mean and SD over draws. The means already carry noise, so
    the truth's spread is slightly overstated and the ceiling slightly optimistic."""
    from scipy import stats

    truth, k = np.asarray(target_means, dtype=float), np.asarray(seeds_per_network, dtype=float)
    if truth.ndim != 1 or truth.shape != k.shape or len(truth) < 5 or not seed_sd >= 0:
        raise ValueError(
            f"target_means {truth.shape}, seeds {k.shape}, seed_sd={seed_sd}; rule: >= 5 networks, sd >= 0"
        )
    rng = np.random.default_rng(seed)
    taus = [stats.kendalltau(truth, truth + rng.normal(0, seed_sd / np.sqrt(k))).statistic for _ in range(draws)]
    return {"kendall": float(np.mean(taus)), "sd": float(np.std(taus)), "networks": len(truth), "draws": draws}


def finalist_gain(fitness, rung, target, n: int = 20, top: int = 3, draws: int = 2000, seed: int = 0) -> dict:
    """A finalist round against the search's own pick, over random groups of ``n`` networks:
    the search picks the best ``fitness``; the round promotes the ``top`` best by ``fitness``
    and picks the best ``rung`` (a higher fidelity) among them. Mean ``target`` of both
    picks, their mean difference (``gain``) with a 95 % interval over draws, the share of
    draws where the round picks better or worse, and the rung trainings it adds."""
    f, r, t = (np.asarray(a, dtype=float) for a in (fitness, rung, target))
    if not f.shape == r.shape == t.shape or f.ndim != 1 or len(f) < n or not 1 <= top <= n:
        raise ValueError(
            f"fitness {f.shape}, rung {r.shape}, target {t.shape}; rule: one length >= n={n}, 1 <= top <= n"
        )
    rng = np.random.default_rng(seed)
    groups = np.array([rng.choice(len(f), size=n, replace=False) for _ in range(draws)])
    order = np.argsort(-f[groups], axis=1, kind="stable")
    searched = groups[np.arange(draws), order[:, 0]]
    finalists = np.take_along_axis(groups, order[:, :top], axis=1)
    promoted = finalists[np.arange(draws), np.argmax(r[finalists], axis=1)]
    diff = t[promoted] - t[searched]
    low, high = np.percentile(diff, [2.5, 97.5])
    return {
        "search_pick_target": float(t[searched].mean()),
        "finalist_pick_target": float(t[promoted].mean()),
        "gain": float(diff.mean()),
        "low": float(low),
        "high": float(high),
        "better_share": float((diff > 0).mean()),
        "worse_share": float((diff < 0).mean()),
        "added_trainings": top,
        "n": n,
        "top": top,
        "draws": draws,
    }


__all__ = [
    "finalist_gain",
    "icc1",
    "kendall_ceiling",
    "kendall_interval",
    "paired_kendall",
    "rank_fidelity",
    "rescore_gain",
    "simulated_ceiling",
    "winners_curse",
]
