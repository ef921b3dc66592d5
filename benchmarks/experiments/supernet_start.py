"""Does the SuperNet start help a first-generation network, and if not, why? (Alg. 2
lines 2-3; weight inheritance: docs/inheritance.md)

In the reported comparison the SuperNet start scored at or below scratch on the same
first genome in all 10 seeds. Two suspects, each an arm here:

* the warm start: a network with at least half of its parameters inherited trains at
  0.3 x lr with a 20 % warm-up (``WarmStart``), a schedule chosen for children of trained
  parents; a SuperNet's units may need the full schedule (arm ``cold``: scratch's lr and
  schedule from the SuperNet's weights);
* too short a SuperNet: it trains every candidate cell and adapter at once (``mean``
  mode), so each unit gets a fraction of a network's training per epoch (arms at the
  search's ``supernet_epochs`` and at 4x).
(BatchNorm statistics are not a suspect: every network's are recalibrated on training
images before it is scored.)

Protocol, per seed (``--seeds``): the first ``--children`` networks of a seeded Alg. 3
sample (as the inheritance study's generation 0) are trained from scratch and from the
store of a SuperNet trained E epochs, for each E in (search's, 4x) and warm start on/off,
for 1, 2 and the preset's epochs, each with the per-genome seed, and scored on the
validation pool (what a search selects on) and on the 10,000 test images (the report).
Reported: per arm and epochs, the mean test difference to scratch on the same child, its
95 % interval and p from a hierarchical bootstrap (seeds, then children), the Wilcoxon
signed-rank p beside it.

``--preset study`` runs under the fidelity study's current choice (its ``choice.preset``
in results/fidelity.json, recorded with whether the study was complete).

    python -m benchmarks.experiments.supernet_start --preset cpu          # resumes
    python -m benchmarks.experiments.supernet_start --preset cpu --summarize
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import shutil
from pathlib import Path

import numpy as np

from benchmarks.common import RESULTS, ROOT, append_record, read_records, run_tasks, write_result
from benchmarks.experiments.inheritance import first_networks, read_only_store, training_keywords

HERE = Path(__file__).resolve()

SPLITS = {
    "selection": "none: every network is trained and scored, none is selected",
    "report": "the 10,000 official test images (headline); the validation pool beside them",
}
SUPERNET_FACTORS = (1, 4)  # SuperNet epochs: the search's, and 4x


def settings_for(preset: str) -> dict:
    """SearchConfig keywords of ``preset`` (``study``: the fidelity study's current choice)."""
    if preset != "study":
        return {"preset": preset}
    study = json.loads((RESULTS / "fidelity.json").read_text())
    return {**study["choice"]["preset"], "study_complete": bool(study["complete"])}


def recorded_settings(folder: Path, preset: str, write: bool) -> dict:
    """The settings the records in ``folder`` were made under (``settings.json``, written
    by the first run); a run whose preset now means other settings is refused."""
    path = folder / "settings.json"
    if path.exists():
        recorded = json.loads(path.read_text())
        if write and recorded != settings_for(preset):
            raise SystemExit(f"{path}: recorded under other settings; rule: one study, one set of settings")
        return recorded
    settings = settings_for(preset)
    if write:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings, indent=1))
    return settings


@functools.lru_cache(maxsize=4)
def config(settings_json: str, seed: int):
    from tsenas_pymoo.config import SearchConfig

    settings = {k: v for k, v in json.loads(settings_json).items() if k != "study_complete"}
    return SearchConfig(**settings, seed=seed, device="cpu", threads=1)


@functools.lru_cache(maxsize=4)
def data_for(settings_json: str, seed: int):
    return config(settings_json, seed).load_data()


def children(settings_json: str, seed: int, count: int) -> list[str]:
    cfg = config(settings_json, seed)
    return first_networks(cfg, data_for(settings_json, seed).input_shape, seed, count)


def evaluator(settings_json: str, seed: int, store, warm: bool):
    from tsenas_pymoo.evaluation import TorchEvaluator
    from tsenas_pymoo.evaluation.lineage import WarmStart

    cfg = config(settings_json, seed)
    # warm: the search's schedule, counting the SuperNet's units (0.6.0's default under
    # lineage counts parents only, which would train these first networks cold)
    warm_start = (
        dataclasses.replace(cfg.warm_start(), counts="inherited") if warm else WarmStart(lr_scale=1.0, warmup=0.0)
    )
    keywords = training_keywords(cfg, "cpu", warm_start=warm_start)
    return TorchEvaluator(
        data_for(settings_json, seed), store=store, inheritance="store" if store else "none", **keywords
    )


def train_supernet(settings_json: str, seed: int, epochs: int, folder: Path) -> dict:
    """A SuperNet of ``epochs`` trained as the search trains it, its units in ``folder``."""
    if (folder / "done.json").exists():
        return json.loads((folder / "done.json").read_text())
    shutil.rmtree(folder, ignore_errors=True)
    ev = evaluator(settings_json, seed, folder / "store", warm=True)
    result = ev.train_supernet(epochs=epochs)
    info = {"epochs": epochs, "seconds": result["seconds"], "units": result["units"], "last_loss": result["losses"][-1]}
    (folder / "done.json").write_text(json.dumps(info))
    return info


def train_arm(settings_json: str, seed: int, key: str, arm: str, store: str | None, warm: bool, epochs: int) -> dict:
    """One child under one arm: its validation and test accuracy (one torch thread)."""
    from tsenas_pymoo.space.genome import genome_from_key

    ev = evaluator(settings_json, seed, read_only_store(store) if store else None, warm)
    result = ev.train_genome(genome_from_key(key), epochs=epochs, parents=())
    return {
        "seed": seed,
        "child": key,
        "arm": arm,
        "epochs": epochs,
        "val": result["accuracy"],
        "test": result["test_accuracy"],
        "lr": result["lr"],
        "inherited": result["inherited_fraction"],
        "seconds": result["seconds"],
        "status": result["status"],
    }


def arms(cfg, folder: Path) -> dict[str, tuple[str | None, bool]]:
    """arm name -> (SuperNet store or None, warm start)."""
    out: dict[str, tuple[str | None, bool]] = {"scratch": (None, False)}
    for factor in SUPERNET_FACTORS:
        epochs = cfg.supernet_epochs * factor
        for warm in (True, False):
            out[f"supernet{epochs}-{'warm' if warm else 'cold'}"] = (str(folder / f"supernet{epochs}" / "store"), warm)
    return out


def summarize(rows: list[dict], n_resamples: int = 2000) -> dict:
    """Per arm and epochs: test accuracy minus scratch's on the same child."""
    from scipy.stats import wilcoxon

    from tsenas_pymoo.analysis.savings import hierarchical_bootstrap, interval

    table = {(r["seed"], r["child"], r["arm"], r["epochs"]): r for r in rows if r["status"] == "ok"}
    out: dict[str, dict] = {}
    for arm in sorted({a for _, _, a, _ in table} - {"scratch"}):
        for epochs in sorted({e for _, _, _, e in table}):
            groups = []
            for seed in sorted({s for s, _, _, _ in table}):
                diffs = [
                    table[(s, c, arm, e)]["test"] - table[(s, c, "scratch", e)]["test"]
                    for (s, c, a, e) in table
                    if (s, a, e) == (seed, arm, epochs) and (s, c, "scratch", e) in table
                ]
                if diffs:
                    groups.append(np.array(diffs))
            if not groups:
                continue
            pooled = np.concatenate(groups)
            boot = hierarchical_bootstrap(groups, np.mean, n_resamples=n_resamples)
            out.setdefault(arm, {})[str(epochs)] = {
                **interval(boot, float(pooled.mean())),
                "median": float(np.median(pooled)),
                "better_share": float(np.mean(pooled > 0)),
                "children": len(pooled),
                "wilcoxon_p": float(wilcoxon(pooled).pvalue) if len(pooled) > 5 and np.any(pooled) else None,
            }
    scratch = {}
    for epochs in sorted({e for _, _, _, e in table}):
        values = [r["test"] for (s, c, a, e), r in table.items() if a == "scratch" and e == epochs]
        scratch[str(epochs)] = {"mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1)), "n": len(values)}
    return {"minus_scratch": out, "scratch_test": scratch}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="cpu", help="a package preset, or 'study': the fidelity study's choice")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--children", type=int, default=8, help="Alg. 3 networks per seed")
    parser.add_argument("--workers", type=int, default=1, help="Dask worker processes, one thread each")
    parser.add_argument("--summarize", action="store_true")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # as the workers: one thread a training
    name = "supernet_start" + ("" if args.preset == "cpu" else f"_{args.preset}")
    folder = RESULTS / name
    records = folder / "records.jsonl"
    settings = recorded_settings(folder, args.preset, write=not args.summarize)
    settings_json = json.dumps(settings, sort_keys=True)
    if not args.summarize:
        done = {(r["seed"], r["child"], r["arm"], r["epochs"]) for r in read_records(records)}
        tasks = []
        for seed in args.seeds:
            cfg = config(settings_json, seed)
            work = ROOT / "runs" / name / f"seed{seed}"
            for factor in SUPERNET_FACTORS:
                epochs = cfg.supernet_epochs * factor
                print(
                    f"seed {seed}: SuperNet {epochs} epochs",
                    train_supernet(settings_json, seed, epochs, work / f"supernet{epochs}"),
                )
            epochs_list = sorted({1, 2, cfg.epochs})
            for key in children(settings_json, seed, args.children):
                for arm, (store, warm) in arms(cfg, work).items():
                    tasks += [
                        (settings_json, seed, key, arm, store, warm, e)
                        for e in epochs_list
                        if (seed, key, arm, e) not in done
                    ]

        def keep(row, bar):
            append_record(records, row)

        run_tasks(train_arm, tasks, args.workers, keep, desc="supernet start")
    rows = read_records(records)
    write_result(
        RESULTS / f"{name}.json",
        {
            "benchmark": "supernet_start",
            "command": f"python -m benchmarks.experiments.supernet_start --preset {args.preset}",
            "splits": SPLITS,
            "settings": settings,
            "seeds": sorted({r["seed"] for r in rows}),
            **summarize(rows),
        },
    )
    print(json.dumps(summarize(rows)["minus_scratch"], indent=1))


if __name__ == "__main__":
    main()
