"""Fidelity study: which cheap fitness can a search select on? (Fashion-MNIST, CPU)

Networks (``networks``): Alg. 3 samples for 28x28 inputs, stage-2 edits (Alg. 4 lines
5-6: a node/edge mutation and a pruning of each of the reported comparison's TS-ENAS
picks) and the networks the comparison campaign picked (its six methods, seeds 100-109).

Settings (``SETTINGS``), every network trained by the package's own trainer (SGD, cosine,
batch 128, lr 0.1, width 8, batch-norm recalibrated before scoring, as the evaluator does):

* ``target``: 10,000 training images at 28x28, 10 epochs (790 SGD steps), scored on the
  10,000 official test images (never seen by any selection);
* proxies ``n{N}-r{R}-e{E}``: a training subset of N images at R pixels for E epochs,
  scored on the validation pool (10,000 training images no subset uses, drawn once with
  seed 0, ordered so every prefix is stratified). One training is scored on pool
  prefixes of 10,000 and 5,000 (14 px only: at 28 px scoring 5,000 images alone takes
  7-11 s of the 15 s goal), 2,500 and 1,000 images, and on ``N/9`` images: the size of
  the classic 10 % split of N + N/9 images (``split``), so the validation choice costs
  no extra training; each prefix is charged its share of the scoring time.

One record per (network, setting, seed) is appended to ``results/fidelity/records.jsonl``
as it ends; a rerun skips what is there, so the campaign runs in parts. Task order (``tasks``)
puts the repeatability set first (20 networks: every proxy with 3 seeds, the target with
2), then the other core networks, then the other comparison methods' picks. Each record
carries the load average when it ended: seconds measured while the machine ran other
work beside the two workers are left out of the cost figures.

    python -m benchmarks.experiments.fidelity --workers 2            # the campaign (resumes)
    python -m benchmarks.experiments.fidelity --summarize            # results/fidelity.json + plots/fidelity.png
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks.common import RESULTS, ROOT, append_record, read_records, run_tasks, train_timed, write_result
from benchmarks.common import correct as _correct

RESULTS = RESULTS
RECORDS = RESULTS / "fidelity" / "records.jsonl"
COMPARISON = RESULTS / "compare_algorithms_fmnist" / "report"
COMPARISON_METHODS = ("tsenas", "tsenas-stage1", "ga", "ga-tsenas-ops", "de", "random")

POOL = 10_000
PREFIXES = (10_000, 5_000, 2_500, 1_000)
POOL_28 = 2_500  # pool images scored at 28 px
N_ALG3, ICC_ALG3, ICC_EDITS = 60, 12, 8
COMMON = {"width": 8, "batch_size": 128, "lr": 0.1, "n_min": 3, "n_max": 6, "data_seed": 0}
TARGET = {"name": "target", "train": 10_000, "resolution": 28, "epochs": 10, "score": "test"}


def proxy_settings() -> list[dict]:
    """The grid: subsets x resolutions x epochs; at 28 px the combinations over 4,800
    image-passes are left out (measured: 2400 x 4 and 4800 x 2 take 30-60 s a network
    on one thread, two to four times the 15 s goal, and the campaign's time is the
    target's)."""
    grid = []
    for resolution in (14, 28):
        for train in (1200, 2400, 4800):
            for epochs in (1, 2, 4):
                if resolution == 28 and train * epochs > 4800:
                    continue
                grid.append(
                    {
                        "name": f"n{train}-r{resolution}-e{epochs}",
                        "train": train,
                        "resolution": resolution,
                        "epochs": epochs,
                        "score": "pool",
                    }
                )
    return grid


SETTINGS = {s["name"]: s for s in [TARGET, *proxy_settings()]}


# -- the networks -----------------------------------------------------------------------
def comparison_picks() -> dict[str, list[str]]:
    """method -> the best genome keys its reported runs picked (seeds in order)."""
    picks = {}
    for method in COMPARISON_METHODS:
        files = sorted(COMPARISON.glob(f"{method}-seed*.json"))
        picks[method] = [
            json.loads(f.read_text())["best_genome"] for f in files if f.stem.removeprefix(f"{method}-seed").isdigit()
        ]
    return picks


def networks() -> list[dict]:
    """[{key, kind}] in campaign order, without repeats: Alg. 3 samples, stage-2 edits of
    the TS-ENAS picks, the TS-ENAS picks, then the other methods' picks."""
    from tsenas_pymoo.operators.fine import mutate_fine, prune_fine
    from tsenas_pymoo.operators.sampling import sample_genome
    from tsenas_pymoo.space.genome import genome_from_key

    out, seen = [], set()

    def add(genome, kind):
        if genome.key() not in seen:
            seen.add(genome.key())
            out.append({"key": genome.key(), "kind": kind})

    rng = np.random.default_rng(20261202)
    while sum(n["kind"] == "alg3" for n in out) < N_ALG3:
        add(sample_genome(rng, COMMON["n_min"], COMMON["n_max"], (1, 28, 28)), "alg3")
    picks = comparison_picks()
    parents = [genome_from_key(k).expand() for k in dict.fromkeys(picks["tsenas"])]
    edit_rng = np.random.default_rng(20261203)
    for parent in parents:
        add(mutate_fine(parent, edit_rng), "edit")
        add(prune_fine(parent, edit_rng), "edit")
    for parent in parents:
        add(parent, "pick-tsenas")
    for method, keys in picks.items():
        for key in keys:
            add(genome_from_key(key), f"pick-{method}")
    return out


def icc_keys(nets: list[dict]) -> list[str]:
    """The repeatability set: the first Alg. 3 samples and the first stage-2 edits."""
    return [n["key"] for n in nets if n["kind"] == "alg3"][:ICC_ALG3] + [n["key"] for n in nets if n["kind"] == "edit"][
        :ICC_EDITS
    ]


SCREEN_S = 20.0  # the goal's 15 s with a third of margin for timing noise between phases


def eligible(records: list[dict], icc: list[str]) -> list[str] | None:
    """The proxies the rest of the networks train under: those whose cheapest scoring
    costs <= ``SCREEN_S`` on the repeatability set (the others cannot be chosen, whatever
    their fidelity; their tau stays measured on the 20 networks). None until the
    repeatability set and its re-timing (``retime_tasks``) are complete. The rule looks at
    cost only, never at fidelity, so the proxies kept are not chosen for their luck on the
    first 20 networks."""
    done = {(r["key"], r["setting"], r["seed"]) for r in records}
    if any(t not in done for t in phase_a(icc) + retime_tasks(icc)):
        return None
    # the repeatability set's own records only (``timed_rows`` takes the re-timed ones):
    # the list cannot change once they are complete
    return screened(on_repeatability_set(records, icc))


def on_repeatability_set(records: list[dict], icc: list[str]) -> list[dict]:
    """The records of the repeatability set's networks, the only ones the cost screen reads."""
    keys = set(icc)
    return [r for r in records if r["key"] in keys]


#: Networks of the repeatability set each proxy is re-timed on, and the seed those records
#: use (no other record does: tau and ICC read seeds 0-2 only).
RETIME_NETWORKS, RETIME_SEED = 5, 3


def retime_tasks(icc: list[str]) -> list[tuple[str, str, int]]:
    """Every proxy once more on the first ``RETIME_NETWORKS`` networks of the repeatability
    set, with the worker keeping the memory it frees: the repeatability set itself was timed
    under Dask's malloc setting, which costs about 2.5x the CPU
    (``benchmarks/results/allocator.json``) and so would have screened proxies out by an
    artifact."""
    proxies = [s for s in SETTINGS if s != "target"]
    return [(key, s, RETIME_SEED) for key in icc[:RETIME_NETWORKS] for s in proxies]


def screened(records: list[dict]) -> list[str]:
    """``eligible``'s cost rule on the records so far (complete or not)."""
    return [
        s
        for s in SETTINGS
        if s != "target" and min(proxy_cost(records, s, score) for score in ("split", "1000")) <= SCREEN_S
    ]


def phase_a(icc: list[str]) -> list[tuple[str, str, int]]:
    """The repeatability set, network by network with all its seeds (so repeatability, the
    target's own noise and a first tau exist early): every proxy with 3 seeds, the target
    with 2."""
    proxies = [s for s in SETTINGS if s != "target"]
    todo = []
    for key in icc:
        todo += [(key, "target", 0), *[(key, s, seed) for seed in (0, 1, 2) for s in proxies], (key, "target", 1)]
    return todo


def tasks(nets: list[dict], records: list[dict] | None = None) -> list[tuple[str, str, int]]:
    """(key, setting, seed) in campaign order: the repeatability set (``phase_a``), its
    re-timing (``retime_tasks``), then, once both are complete, the rest of the core set
    (its kinds merged by ``interleave``) and then the other methods' picks, each with the
    target and the ``eligible`` proxies (the chosen one only, once the study has chosen:
    ``chosen_setting``), one seed."""
    icc = icc_keys(nets)
    kept = eligible(records or [], icc)
    if kept is None:
        done = {(r["key"], r["setting"], r["seed"]) for r in records or []}
        return phase_a(icc) + (retime_tasks(icc) if all(t in done for t in phase_a(icc)) else [])
    return planned(nets, kept)


def planned(nets: list[dict], kept: list[str]) -> list[tuple[str, str, int]]:
    """The whole campaign's tasks once ``kept`` names the proxies of the other networks."""
    icc = icc_keys(nets)
    core = interleave(
        [
            [n["key"] for n in nets if n["kind"] == kind and n["key"] not in icc]
            for kind in ("alg3", "edit", "pick-tsenas")
        ]
    )
    rest = [n["key"] for n in nets if n["kind"] not in ("alg3", "edit", "pick-tsenas")]
    chosen = chosen_setting()
    picks_proxies = [chosen] if chosen in kept else kept
    return (
        phase_a(icc)
        + retime_tasks(icc)
        + [(k, s, 0) for k in core for s in ("target", *kept)]
        + [(k, s, 0) for k in rest for s in ("target", *picks_proxies)]
    )


def chosen_setting() -> str | None:
    """The proxy setting of the package's ``cpu`` preset, once the finished study has put it
    there (None before). The other methods' picks come after the decision, so they train the
    target and this proxy only: how the chosen fitness ranks what searches pick."""
    from tsenas_pymoo.presets import PRESETS

    preset = PRESETS.get("cpu")
    if preset is None:
        return None
    return f"n{preset['train_subset']}-r{preset['resolution'] or 28}-e{preset['epochs']}"


def interleave(groups: list[list[str]]) -> list[str]:
    """The groups merged so that every prefix holds each in proportion to its size (item
    i of a group of n sits at (i + 0.5) / n): a campaign stopped part-way has measured a
    representative mix of Alg. 3 samples, stage-2 edits and picks, not one kind only."""
    placed = [((i + 0.5) / len(g), j, key) for j, g in enumerate(groups) for i, key in enumerate(g)]
    return [key for _, _, key in sorted(placed)]


def core_keys(nets: list[dict]) -> set[str]:
    return {n["key"] for n in nets if n["kind"] in ("alg3", "edit", "pick-tsenas")}


# -- one training -----------------------------------------------------------------------
_DATA: dict = {}


def _data(train: int, resolution: int):
    from tsenas_pymoo.evaluation.data import load_dataset

    key = (train, resolution)
    if key not in _DATA:
        # every (subset, resolution) stays loaded: 7 of them, under 0.5 GB a process
        _DATA[key] = load_dataset(
            "fashion-mnist",
            seed=COMMON["data_seed"],
            train_subset=train,
            val_size=POOL,
            resolution=None if resolution == 28 else resolution,
        )
    return _DATA[key]


def run_task(key: str, setting_name: str, seed: int, threads: int = 1) -> dict:
    """Train one network under one setting and seed; its record."""
    import torch

    from tsenas_pymoo import __version__
    from tsenas_pymoo.evaluation.allocator import keep_freed_memory
    from tsenas_pymoo.evaluation.evaluator import genome_seed
    from tsenas_pymoo.space.genome import genome_from_key
    from tsenas_pymoo.space.network import build_network, count_flops, count_params

    malloc_kept = keep_freed_memory()
    torch.set_num_threads(threads)
    setting = SETTINGS[setting_name]
    data = _data(setting["train"], setting["resolution"])
    genome = genome_from_key(key)
    train_seed = genome_seed(seed, key)
    torch.manual_seed(train_seed)
    model = build_network(genome, data.input_shape, data.num_classes, COMMON["width"])
    result, train_s, train_cpu_s = train_timed(
        model, data.train_x, data.train_y, setting["epochs"], COMMON["batch_size"], COMMON["lr"], train_seed
    )
    x, y = (data.test_x, data.test_y) if setting["score"] == "test" else (data.val_x, data.val_y)
    if setting["score"] == "pool" and setting["resolution"] == 28:
        x, y = x[:POOL_28], y[:POOL_28]
    start, cpu_start = time.perf_counter(), time.process_time()
    correct = _correct(model, x, y)
    score_s, score_cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
    record = {
        "key": key,
        "setting": setting_name,
        "seed": seed,
        "status": result.status,
        "version": __version__,
        "load": os.getloadavg()[0],
        "cores": os.cpu_count(),
        "steps": result.epochs * -(-len(data.train_y) // COMMON["batch_size"]),
        "train_s": train_s,
        "score_s": score_s,
        "train_cpu_s": train_cpu_s,  # the worker process's CPU seconds: what other work beside it
        "score_cpu_s": score_cpu_s,  # does not inflate, unlike the wall seconds above
        "scored": len(y),
        "malloc_kept": malloc_kept,
        "params": count_params(model),
        "flops": count_flops(model, data.input_shape),
    }
    if setting["score"] == "test":
        record["accuracy"] = {"test": float(correct.mean())}
    else:
        prefixes = {str(k): k for k in PREFIXES if k <= len(y)} | {"split": round(setting["train"] / 9)}
        record["accuracy"] = {name: float(correct[:k].mean()) for name, k in prefixes.items()}
    return record


# -- the campaign -----------------------------------------------------------------------
def load_records() -> list[dict]:
    return read_records(RECORDS)


def campaign(workers: int, limit: int | None = None) -> None:
    """Run what is left, re-planning after each pass: the rest of the networks are planned
    once the repeatability set is complete (``eligible``)."""
    nets = networks()
    RECORDS.parent.mkdir(parents=True, exist_ok=True)
    while True:
        records = load_records()
        done = {(r["key"], r["setting"], r["seed"]) for r in records}
        plan = tasks(nets, records)
        todo = [t for t in plan if t not in done][:limit]
        print(f"{len(nets)} networks, {len(plan)} tasks planned, {len(done)} done, {len(todo)} to run", flush=True)
        if not todo:
            return
        _run(todo, workers)
        if limit is not None:
            return


def _run(todo: list[tuple[str, str, int]], workers: int) -> None:
    def save(record, bar):
        append_record(RECORDS, record)
        bar.set_postfix(last=f"{record['setting']} {record['train_s'] + record['score_s']:.0f}s")

    run_tasks(run_task, todo, workers, save, desc="fidelity")


# -- the summary ------------------------------------------------------------------------
def _table(records, setting, score, keys, seeds):
    """(the keys kept, their (networks, seeds) array of ``score``): networks missing a
    seed are dropped."""
    cell = {
        (r["key"], r["seed"]): r["accuracy"][score]
        for r in records
        if r["setting"] == setting and score in r["accuracy"]
    }
    rows = {k: [cell.get((k, s)) for s in seeds] for k in keys}
    kept = [k for k, row in rows.items() if None not in row]
    return kept, np.array([rows[k] for k in kept], dtype=float).reshape(len(kept), len(seeds))


QUIET_MIN = 3
WALL = ("train_s", "score_s")
CPU = ("train_cpu_s", "score_cpu_s")


def timed_rows(records, setting) -> tuple[list[dict], tuple[str, str]]:
    """The records whose seconds count, and which seconds: the worker's CPU seconds of the
    records trained with the worker's malloc keeping what it frees (``malloc_kept``; the
    earlier records ran under Dask's own malloc setting, which doubles a training's CPU
    time: ``allocator_effect``) once ``QUIET_MIN`` carry them, else of all records once
    ``QUIET_MIN`` carry CPU seconds; else the wall seconds of the records that ended while
    only the two workers ran (1-minute load average <= cores + 0.5), when ``QUIET_MIN``
    exist; else all wall seconds. Measured: with a session's own work beside the workers,
    a training's wall time is 1.5-2x as long (the target: median 361 s on 4 quiet records,
    1,023 s over all 25), and an idle machine running only the two workers reads a load of
    2.4-2.8, so the load rule also drops quiet records; CPU seconds (``time.process_time``
    in the worker, one torch thread) do not count the time another process holds the core."""
    rows = [r for r in records if r["setting"] == setting]
    cpu = [r for r in rows if "train_cpu_s" in r]
    kept = [r for r in cpu if r.get("malloc_kept")]
    if len(kept) >= QUIET_MIN:  # what a worker pays now (``tsenas_pymoo.evaluation.allocator``)
        return kept, CPU
    if len(cpu) >= QUIET_MIN:
        return cpu, CPU
    quiet = [r for r in rows if r.get("load", 99) <= r.get("cores", 2) + 0.5]
    return (quiet if len(quiet) >= QUIET_MIN else rows), WALL


def proxy_cost(records, setting, score, share: bool = False) -> float:
    """Median seconds per network on one thread: training plus the scoring of the images
    this score uses (``share``: the median share of it that is scoring, forward passes
    only)."""
    rows, (train, scored) = timed_rows(records, setting)
    n = SETTINGS[setting]["train"] // 9 if score == "split" else (int(score) if score.isdigit() else 1)
    scoring = [r[scored] * min(1.0, n / r["scored"]) for r in rows]
    if share:
        return float(np.median([sc / (r[train] + sc) for sc, r in zip(scoring, rows)]))
    return float(np.median([r[train] + sc for sc, r in zip(scoring, rows)]))


def allocator_effect(records: list[dict]) -> dict:
    """The target's median CPU seconds per MFLOP under Dask's malloc setting and with the
    worker keeping what it frees (``malloc_kept``), and their ratio: the campaign's own
    measure of ``tsenas_pymoo.evaluation.allocator``'s effect."""
    rows = [r for r in records if r["setting"] == "target" and "train_cpu_s" in r]
    per = {}
    for name, kept in (("dask_default", False), ("kept", True)):
        values = [
            (r["train_cpu_s"] + r["score_cpu_s"]) / (r["flops"] / 1e6)
            for r in rows
            if bool(r.get("malloc_kept")) == kept
        ]
        per[name] = {"records": len(values), "cpu_s_per_mflop": float(np.median(values)) if values else None}
    both = per["dask_default"]["cpu_s_per_mflop"] and per["kept"]["cpu_s_per_mflop"]
    return {**per, "ratio": per["dask_default"]["cpu_s_per_mflop"] / per["kept"]["cpu_s_per_mflop"] if both else None}


def first_scores(records: list[dict], setting: str, score: str) -> dict[str, float]:
    """Each network's ``score`` accuracy under ``setting`` with seed 0 (what a search sees)."""
    return {
        r["key"]: r["accuracy"][score]
        for r in records
        if r["setting"] == setting and r["seed"] == 0 and score in r["accuracy"]
    }


def target_accuracies(records: list[dict]) -> dict[str, list[float]]:
    """Each network's target test accuracies (one per seed)."""
    target = {}
    for r in records:
        if r["setting"] == "target":
            target.setdefault(r["key"], []).append(r["accuracy"]["test"])
    return target


def target_means(records: list[dict]) -> dict[str, float]:
    """Each network's mean target test accuracy over its seeds."""
    return {k: float(np.mean(v)) for k, v in target_accuracies(records).items()}


def score_of(validation: str) -> str:
    """The accuracy field a proxy row's ``validation`` label reads ("split", "pool 1000")."""
    return validation.removeprefix("pool ")


def icc_by_kind(table: np.ndarray, keys: list[str], kinds: dict[str, str]) -> dict:
    """ICC(1) within each kind of the repeatability set (Alg. 3 samples; stage-2 edits, the
    close relatives stage 2 compares), where a kind has at least 3 networks: the overall
    ICC mixes both, and random networks differ far more than a parent's edits do."""
    from tsenas_pymoo.analysis.fidelity import icc1

    out = {}
    for kind in dict.fromkeys(kinds[k] for k in keys):
        rows = [i for i, k in enumerate(keys) if kinds[k] == kind]
        if len(rows) >= 3:
            out[kind] = icc1(table[rows])
    return out


def summarize(records: list[dict]) -> dict:
    from tsenas_pymoo.analysis.fidelity import icc1, kendall_ceiling, rank_fidelity, rescore_gain, winners_curse

    nets = networks()
    kinds = {n["key"]: n["kind"] for n in nets}
    target = target_accuracies(records)
    target_mean = target_means(records)
    icc = icc_keys(nets)
    target_rows, (t, sc) = timed_rows(records, "target")
    out = {
        "target": {
            "networks": len(target_mean),
            "setting": TARGET,
            "seconds_median": float(np.median([r[t] + r[sc] for r in target_rows] or [np.nan])),
            "timed_records": len(target_rows),
            "timed_by": "cpu" if (t, sc) == CPU else "wall",
        }
    }
    target_pairs, pairs = _table(records, "target", "test", icc, (0, 1))
    if len(pairs) >= 3:
        from scipy.stats import kendalltau

        out["target"]["repeatability"] = icc1(pairs)
        out["target"]["repeatability_by_kind"] = icc_by_kind(pairs, target_pairs, kinds)
        out["target"]["seed_tau"] = float(kendalltau(pairs[:, 0], pairs[:, 1]).statistic)
        # what a noise-free proxy would reach against this target (its seed noise bounds every tau)
        seeds_per_network = [len(v) for v in target.values()]
        out["target"]["ceiling"] = kendall_ceiling(out["target"]["repeatability"]["icc1"], seeds_per_network)
    proxies = []
    for name, setting in SETTINGS.items():
        if name == "target":
            continue
        for score in ("split", "1000", "2500", "5000", "10000"):
            row = {
                "setting": name,
                **{k: setting[k] for k in ("train", "resolution", "epochs")},
                "validation": score if score == "split" else f"pool {score}",
                "images_scored": setting["train"] // 9 if score == "split" else int(score),
            }
            first = first_scores(records, name, score)
            keys = [k for k in first if k in target_mean]
            if len(keys) < 5:
                continue
            row["seconds"] = proxy_cost(records, name, score)
            timed, fields = timed_rows(records, name)
            row["timed_records"], row["timed_by"] = len(timed), "cpu" if fields == CPU else "wall"
            row["scoring_share"] = proxy_cost(records, name, score, share=True)
            row["steps"] = int(np.median([r["steps"] for r in records if r["setting"] == name]))
            row.update(rank_fidelity([first[k] for k in keys], [target_mean[k] for k in keys]))
            keys3, seeds = _table(records, name, score, icc, (0, 1, 2))
            if len(seeds) >= 3:
                row["repeatability"] = icc1(seeds)
                row["repeatability_by_kind"] = icc_by_kind(seeds, keys3, kinds)
                if len(keys3) >= 10 and all(k in target_mean for k in keys3):
                    row["winners_curse"] = winners_curse(
                        seeds[:, 0], seeds[:, 1:].mean(axis=1), [target_mean[k] for k in keys3], n=min(10, len(keys3))
                    )
                    row["rescore"] = rescore_gain(seeds, [target_mean[k] for k in keys3], n=min(10, len(keys3)))
            proxies.append(row)
    out["proxies"] = proxies
    counts = Counter(kinds.get(k) for k in target_mean)  # kinds in plan order (a stable results file)
    out["networks"] = {kind: counts[kind] for kind in dict.fromkeys(kinds.values())}
    return out


GOAL = {"icc1": 0.8, "kendall": 0.6, "seconds": 15.0}


def choose(proxies: list[dict]) -> dict | None:
    """The CPU preset's proxy: among those meeting the goal (ICC(1) >= 0.8, Kendall tau >= 0.6
    against the target, <= 15 s a network on one thread), the highest tau (ties: the
    cheaper); if none meets it, the highest tau within 15 s, with the shortfall named."""
    rows = [r for r in proxies if "kendall" in r and "repeatability" in r]
    within = [r for r in rows if r["seconds"] <= GOAL["seconds"]]
    if not within:
        return None
    meeting = [r for r in within if r["repeatability"]["icc1"] >= GOAL["icc1"] and r["kendall"] >= GOAL["kendall"]]
    pick = max(meeting or within, key=lambda r: (r["kendall"], -r["seconds"]))
    shortfall = {
        k: GOAL[k] - v
        for k, v in (("icc1", pick["repeatability"]["icc1"]), ("kendall", pick["kendall"]))
        if v < GOAL[k]
    }
    return {
        "setting": pick["setting"],
        "validation": pick["validation"],
        "rescore_default": rescore_default(pick),
        "met": bool(meeting),
        "shortfall": shortfall,
        "kendall": pick["kendall"],
        "icc1": pick["repeatability"]["icc1"],
        "seconds": pick["seconds"],
        "rule": " ".join(choose.__doc__.split("\n\n")[0].split()),
        "best_tau_per_second": best_tau_per_second(rows, pick),
    }


def best_tau_per_second(rows: list[dict], pick: dict) -> dict:
    """The issue's own fallback (the best tau per second, any cost), beside the rule's pick:
    whether the two readings choose the same proxy."""
    best = max(rows, key=lambda r: r["kendall"] / r["seconds"])
    return {
        "setting": best["setting"],
        "validation": best["validation"],
        "kendall": best["kendall"],
        "seconds": best["seconds"],
        "same_as_pick": (best["setting"], best["validation"]) == (pick["setting"], pick["validation"]),
    }


def ties(records: list[dict], proxies: list[dict], choice: dict) -> dict:
    """Which proxies within the cost goal the study cannot tell from the pick: the paired
    bootstrap of their Kendall tau minus the pick's (networks resampled, 1,000 draws) has a
    95 % interval that holds zero. Reported beside the choice; the rule itself is unchanged."""
    from tsenas_pymoo.analysis.fidelity import paired_kendall

    target = target_means(records)
    pick = first_scores(records, choice["setting"], score_of(choice["validation"]))
    rows = []
    for row in proxies:
        if "kendall" not in row or row["seconds"] > GOAL["seconds"]:
            continue
        if (row["setting"], row["validation"]) == (choice["setting"], choice["validation"]):
            continue
        other = first_scores(records, row["setting"], score_of(row["validation"]))
        keys = [k for k in pick if k in other and k in target]
        if len(keys) < 5:
            continue
        diff = paired_kendall([other[k] for k in keys], [pick[k] for k in keys], [target[k] for k in keys])
        rows.append({"setting": row["setting"], "validation": row["validation"], "seconds": row["seconds"], **diff})
    tied = [r for r in rows if r["low"] <= 0 <= r["high"]]
    return {
        "compared": len(rows),
        "tied": len(tied),
        "cheapest_tied": min(tied, key=lambda r: r["seconds"]) if tied else None,
        "worse": [f"{r['setting']} {r['validation']}" for r in rows if r["high"] < 0],
        "rule": " ".join(ties.__doc__.split()),
    }


def by_kind(records: list[dict], nets: list[dict], choice: dict) -> dict:
    """The chosen proxy's rank fidelity within each kind of network (Alg. 3 samples, stage-2
    edits: close relatives, as a search compares them; the searches' picks), where a kind has
    at least 5 networks with a target."""
    from tsenas_pymoo.analysis.fidelity import rank_fidelity

    target = target_means(records)
    scores = first_scores(records, choice["setting"], score_of(choice["validation"]))
    kinds = {n["key"]: ("picks" if n["kind"].startswith("pick") else n["kind"]) for n in nets}
    out = {}
    for kind in dict.fromkeys(kinds.values()):
        keys = [k for k in scores if k in target and kinds.get(k) == kind]
        if len(keys) >= 5:
            fidelity = rank_fidelity([scores[k] for k in keys], [target[k] for k in keys])
            out[kind] = {**fidelity, "target_sd": float(np.std([target[k] for k in keys], ddof=1))}
    return out


def rescore_default(row: dict) -> dict | None:
    """Whether ``--rescore-top`` is on by default under the chosen proxy: on (top 3, 2
    fresh seeds) if, over random groups of 10 of the repeatability set, re-scoring raises
    the pick's mean target accuracy and picks a better network more often than a worse."""
    sim = row.get("rescore")
    if sim is None:
        return None
    on = sim["gain"] > 0 and sim["better_share"] > sim["worse_share"]
    return {
        "on": on,
        "rescore_top": sim["top"] if on else 0,
        "rescore_seeds": sim["repeats"],
        **{k: sim[k] for k in ("gain", "gain_sd", "better_share", "worse_share")},
        "rule": " ".join(rescore_default.__doc__.split()),
    }


def left_to_run(records: list[dict], plan: list[tuple[str, str, int]]) -> dict:
    """What the campaign still has to train, in CPU hours: each target training charged
    the target's measured CPU seconds per MFLOP (median over its CPU-timed records) times
    the network's MFLOPs; each proxy training its setting's cost."""
    from tsenas_pymoo.space.genome import genome_from_key
    from tsenas_pymoo.space.network import build_network, count_flops

    done = {(r["key"], r["setting"], r["seed"]) for r in records}
    todo = [t for t in plan if t not in done]
    flops = {r["key"]: r["flops"] for r in records}
    rows, fields = timed_rows(records, "target")
    per_mflop = float(np.median([(r[fields[0]] + r[fields[1]]) / (r["flops"] / 1e6) for r in rows] or [np.nan]))
    proxies = {s for _, s, _ in todo} - {"target"}  # each training scores every pool prefix its resolution has
    cost = {s: proxy_cost(records, s, "10000" if SETTINGS[s]["resolution"] == 14 else str(POOL_28)) for s in proxies}
    seconds = 0.0
    for key, setting, _ in todo:
        if setting != "target":
            seconds += cost[setting]
            continue
        if key not in flops:
            flops[key] = count_flops(build_network(genome_from_key(key), (1, 28, 28), 10, COMMON["width"]), (1, 28, 28))
        seconds += per_mflop * flops[key] / 1e6
    return {
        "tasks": len(todo),
        "targets": sum(1 for t in todo if t[1] == "target"),
        "target_cpu_s_per_mflop": per_mflop,
        "cpu_hours": seconds / 3600,
    }


def preset_from_choice(choice: dict) -> dict:
    """The package preset (``tsenas_pymoo/presets.py``) the chosen proxy names: its data
    subset, resolution and epochs, the validation it was scored on (a pool prefix, or the
    study's split: N/9 held-out images beside the N trained on, as the study scored it) and
    the study's common recipe."""
    setting = SETTINGS[choice["setting"]]
    pool = choice["validation"].startswith("pool ")
    return {
        "dataset": "fashion-mnist",
        "train_subset": setting["train"],
        "resolution": None if setting["resolution"] == 28 else setting["resolution"],
        "val_size": int(choice["validation"].split()[1]) if pool else setting["train"] // 9,
        "epochs": setting["epochs"],
        "init_channels": COMMON["width"],
        "batch_size": COMMON["batch_size"],
        "lr": COMMON["lr"],
    }


def plot(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in summary["proxies"] if "kendall" in r]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    markers = (("split", "x"), ("pool 1000", "^"), ("pool 2500", "s"), ("pool 5000", "D"), ("pool 10000", "o"))
    for validation, marker in markers:
        pts = [r for r in rows if r["validation"] == validation]
        for res, color in ((14, "tab:blue"), (28, "tab:red")):
            sel = [r for r in pts if r["resolution"] == res]
            ax.scatter(
                [r["seconds"] for r in sel],
                [r["kendall"] for r in sel],
                marker=marker,
                color=color,
                label=f"{res} px, {validation}" if sel else None,
            )
    ordered = sorted(rows, key=lambda r: r["seconds"])
    frontier, best = [], -1.0
    for r in ordered:
        if r["kendall"] > best:
            frontier.append(r)
            best = r["kendall"]
    ax.plot([r["seconds"] for r in frontier], [r["kendall"] for r in frontier], "k--", lw=1, label="frontier")
    choice = summary.get("choice") or {}
    # the package's presets once the finished study has set them; before that, interim picks
    names = ("cpu", "cpu-quick") if summary.get("complete") else ("interim pick", "best tau/s")
    for name, picked in zip(names, (choice, choice.get("best_tau_per_second"))):
        if picked:  # ringed and named
            ax.scatter(picked["seconds"], picked["kendall"], s=160, facecolors="none", edgecolors="black")
            ax.annotate(name, (picked["seconds"], picked["kendall"]), textcoords="offset points", xytext=(6, 8))
    ax.axhline(0.6, color="grey", lw=0.8)
    ceiling = summary["target"].get("ceiling")
    if ceiling:  # a noise-free proxy's tau against this noisy target
        ax.axhline(ceiling["kendall"], color="black", lw=0.8, ls=":", label="ceiling (target noise)")
    ax.axvline(15, color="grey", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("seconds per network, one CPU thread")
    ax.set_ylabel("Kendall tau against the target")
    ax.set_title("Proxy fidelity on Fashion-MNIST (goal: tau >= 0.6 at <= 15 s)")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes, one thread each (0: serial)")
    parser.add_argument("--limit", type=int, default=None, help="run at most this many trainings")
    parser.add_argument("--summarize", action="store_true", help="write results/fidelity.json and the plot")
    args = parser.parse_args(argv)
    if not args.summarize:
        campaign(args.workers, args.limit)
        return
    records = load_records()
    nets = networks()
    plan = tasks(nets, records)
    done = {(r["key"], r["setting"], r["seed"]) for r in records}
    kept = eligible(records, icc_keys(nets))
    core = core_keys(nets)
    forecast = plan if kept is not None else planned(nets, screened(on_repeatability_set(records, icc_keys(nets))))
    summary = {
        "benchmark": "fidelity",
        "command": "python -m benchmarks.experiments.fidelity --summarize",
        "common": COMMON,
        "pool": POOL,
        "records": len(records),
        "complete": kept is not None and all(t in done for t in plan if t[0] in core),
        "picks_complete": kept is not None and all(t in done for t in plan),
        "tasks": len(plan),
        # before the repeatability set is complete, the rest is forecast with the proxies
        # that pass the cost screen so far
        "allocator": allocator_effect(records),
        "left": left_to_run(records, forecast),
        "left_core": left_to_run(records, [t for t in forecast if t[0] in core]),
        "proxies_after_repeatability_set": kept,
        "screen_seconds": SCREEN_S,
        "splits": {
            "selection": "proxies: the validation pool (training images no subset uses) or a prefix of it",
            "report": "target: the 10,000 official test images",
        },
        **summarize(records),
    }
    summary["choice"] = choose(summary["proxies"])
    if summary["choice"] is not None:
        summary["choice"]["preset"] = preset_from_choice(summary["choice"])
        summary["choice"]["ties"] = ties(records, summary["proxies"], summary["choice"])
        summary["choice"]["by_kind"] = by_kind(records, nets, summary["choice"])
    write_result(RESULTS / "fidelity.json", summary)  # with the machine it ran on
    plot(summary, ROOT / "plots" / "fidelity.png")
    print(json.dumps({k: summary[k] for k in ("records", "target", "networks", "choice")}, indent=1))


if __name__ == "__main__":
    main()
