"""The benchmarks' own accounting: what they measure is what they say they measure."""

import importlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tsenas_pymoo import NetworkGenome
from tsenas_pymoo.baselines import BASELINES, SEARCHED
from tsenas_pymoo.evaluation.archive import Archive
from tsenas_pymoo.final import train_final

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name):
    """A benchmark script as a module, found in its purpose folder."""
    (path,) = BENCH.glob(f"*/{name}.py")
    return importlib.import_module(f"benchmarks.{path.parent.name}.{name}")


def test_baselines_train_the_searched_network_as_train_final_does(digits_small):
    baselines = load("baselines")
    config = {
        "final_epochs": 2,
        "batch_size": 64,
        "lr": 0.07,
        "final_augment": "none",
        "cutout": 0,
        "label_smoothing": 0.0,
    }
    genome = NetworkGenome.from_cells([3, 7, 3])
    settings = baselines.recipe(config, None)
    assert settings["lr"] == 0.07 and settings["batch_size"] == 64 and settings["epochs"] == 2
    rows = baselines.compare(genome, digits_small, 4, settings, [3], device="cpu")
    final = train_final(
        genome, digits_small, epochs=2, init_channels=4, batch_size=64, lr=0.07, seed=3, device="cpu", augment="none"
    )
    assert rows[0]["test_errors"] == [final["test_error"]]
    assert [r["model"] for r in rows][1:] == ["small ResNet (hand-designed)", "DARTS cells x8 (hand-picked)"]


def test_baselines_resume_skips_what_a_cut_off_campaign_measured(digits_small, tmp_path, monkeypatch):
    baselines = load("baselines")
    settings = baselines.recipe({"final_epochs": 1}, None)
    genome = NetworkGenome.from_cells([3, 7, 3])
    saved = []
    first = baselines.compare(
        genome, digits_small, 4, settings, [0], device="cpu", on_run=lambda m, s, r: saved.append((m, s, r))
    )
    setup = {"genome": genome.key(), "recipe": settings}
    path = tmp_path / "baselines_x.json"
    path.write_text(json.dumps(dict(setup, runs=[{"model": m, "seed": s, "report": r} for m, s, r in saved[:2]])))
    done = baselines.previous_runs(path, setup)
    assert sorted(done) == sorted((m, s) for m, s, _ in saved[:2])
    assert baselines.previous_runs(path, dict(setup, genome="0:1")) == {}  # another setup starts afresh
    trained = []
    real = baselines.fit_and_test
    monkeypatch.setattr(baselines, "fit_and_test", lambda *a, **k: trained.append(1) or real(*a, **k))
    again = baselines.compare(genome, digits_small, 4, settings, [0], device="cpu", done=done)
    assert len(trained) == 1  # only the model the cut-off campaign had not reached
    assert [r["test_errors"] for r in again] == [r["test_errors"] for r in first]


def test_baselines_take_a_recorded_search_with_the_package_final_recipe(tmp_path):
    baselines = load("baselines")
    records = tmp_path / "records.jsonl"
    settings = {"preset": "cpu", "final_epochs": 1, "threads": 1, "pop_size": 10}
    pick = "0:6,0:8,1:4[0.1.11.14;0.1.5.1;0.0.12.6]"
    record = {"method": "tsenas", "seed": 300, "pick": pick, "settings": settings, "seconds": 9.5}
    records.write_text(json.dumps(record))
    genome, config, seconds = baselines.record_source("tsenas:300", records)
    assert genome.key() == pick and seconds == 9.5
    assert config["init_channels"] == 8 and config["train_subset"] == 2400 and config["seed"] == 300
    assert baselines.recipe(config, None)["epochs"] == 20  # not the campaign's final_epochs=1
    with pytest.raises(SystemExit, match="--record tsenas:301: no such search"):
        baselines.record_source("tsenas:301", records)


TINY = {
    "dataset": "digits",
    "train_subset": None,
    "val_fraction": 0.1,
    "resolution": None,
    "init_channels": 4,
    "epochs": 1,
    "batch_size": 64,
    "lr": 0.1,
    "pop_size": 4,
    "fine_size": 2,
    "n_min": 2,
    "n_max": 4,
    "supernet_epochs": 1,
    "budget": 14,
    "post_epochs": 1,
}


@pytest.mark.parametrize("method", ["tsenas", "ga", "random"])
def test_compare_charges_every_training_and_the_supernet(method, monkeypatch, digits_small):
    compare = load("compare_algorithms")
    monkeypatch.setattr("tsenas_pymoo.evaluation.load_dataset", lambda *a, **k: digits_small)
    result = compare.run_one(method, 0, TINY, device="cpu")
    used = [c for c, _, _ in result["curve"]]
    assert used == sorted(used) and used[-1] <= TINY["budget"] <= result["compute_used"]
    best = max(b for _, b, _ in result["curve"])
    assert result["best_val_accuracy"] == best and 0 < result["test_accuracy"] <= 1
    if method == "tsenas":
        factor = result["supernet"]["factor"]
        assert factor > 1 and result["supernet"]["units"] == pytest.approx(factor)  # 1 SuperNet epoch
        assert used[0] == pytest.approx(factor + 1)  # the first network after the SuperNet
        assert result["trained"] == pytest.approx(result["compute_used"] - result["supernet"]["units"])
    else:
        assert result["supernet"]["units"] == 0 and result["trained"] == result["compute_used"]
    json.dumps(result)  # the run file is plain JSON


def test_variants_are_paired_with_the_base_runs_seed_by_seed(tmp_path, monkeypatch):
    compare = load("compare_algorithms")
    monkeypatch.setattr(compare, "RUNS", tmp_path)
    (tmp_path / "dev").mkdir()
    for seed in range(6):
        for tag, options, shift in (("", {}, 0.0), ("mo", {"mutate_offspring": True}, 0.01 * (seed + 1))):
            run = {
                "seed": seed,
                "options": options,
                "test_accuracy": 0.8 + 0.001 * seed + shift,
                "best_val_accuracy": 0.7,
                "trained": 30,
                "search_s": 1.0,
            }
            (tmp_path / "dev" / f"tsenas{'-' + tag if tag else ''}-seed{seed}.json").write_text(json.dumps(run))
    table = compare.paired_table("dev", ["mo", "absent"])
    assert list(table) == ["base", "mo"]
    assert table["mo"]["test_minus_base"] == pytest.approx([0.01 * (s + 1) for s in range(6)])
    assert table["mo"]["p_wilcoxon"] == pytest.approx(0.03125)  # all six paired differences positive
    assert table["mo"]["options"] == {"mutate_offspring": True}


def test_compare_records_the_options_as_given(monkeypatch, digits_small):
    compare = load("compare_algorithms")
    monkeypatch.setattr("tsenas_pymoo.evaluation.load_dataset", lambda *a, **k: digits_small)
    result = compare.run_one("tsenas", 0, dict(TINY, budget=6), options={"inheritance": "none"}, device="cpu")
    assert result["options"] == {"inheritance": "none"}
    assert result["supernet"]["units"] == 0  # no inheritance: no SuperNet is trained or charged
    assert result["settings"]["inheritance"] == "none" and result["settings"]["mutate_offspring"] is True
    assert result["settings"]["carry_connections"] is False and result["settings"]["mutation_kinds"] == (
        "cell",
        "connection",
    )


def test_baselines_split_over_models_trains_only_the_named_ones(digits_small, monkeypatch):
    baselines = load("baselines")
    trained = []
    report = {"test_error": 0.5, "params": 1, "flops": 1, "seconds": 0.0}
    monkeypatch.setattr(
        baselines, "fit_and_test", lambda model, data, seed, **k: trained.append((type(model).__name__, seed)) or report
    )
    genome = NetworkGenome.from_cells([3, 7, 3])
    only = {baselines.SHORT["resnet"]}
    rows = baselines.compare(genome, digits_small, 4, {}, [0, 1], device="cpu", only=only)
    assert trained == [("SmallResNet", 0), ("SmallResNet", 1)]
    assert [r["model"] for r in rows] == [baselines.SHORT["resnet"]]


def test_baselines_table_tests_the_searched_network_against_each_baseline(digits_small, monkeypatch):
    baselines = load("baselines")
    base = {"SmallResNet": 0.2}  # the searched network and the DARTS stack are both Networks
    monkeypatch.setattr(
        baselines,
        "fit_and_test",
        lambda model, data, seed, **k: {
            "test_error": base.get(type(model).__name__, 0.1) + seed / 100,
            "params": 1,
            "flops": 1,
            "seconds": 0.0,
        },
    )
    rows = baselines.compare(NetworkGenome.from_cells([3, 7, 3]), digits_small, 4, {}, [0, 1, 2], device="cpu")
    p = {r["model"]: r.get("p_searched_lower") for r in rows}
    assert p[SEARCHED] is None
    assert p[BASELINES[0]] == pytest.approx(0.05)  # lower on every seed: the smallest p of 3 vs 3
    assert p[BASELINES[1]] == pytest.approx(0.5, abs=0.1)  # the same errors: no evidence


def test_every_results_file_names_its_selection_and_report_splits():
    import json
    from pathlib import Path

    results = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
    for path in sorted(results.glob("*.json")):
        splits = json.loads(path.read_text()).get("splits")
        assert isinstance(splits, dict) and splits.get("selection") and splits.get("report"), path.name


def test_fidelity_choice_meets_the_goal_or_names_the_shortfall():
    fidelity = load("fidelity")

    def row(name, tau, icc, seconds):
        return {
            "setting": name,
            "validation": "pool 10000",
            "kendall": tau,
            "seconds": seconds,
            "repeatability": {"icc1": icc},
        }

    rows = [
        row("cheap", 0.45, 0.70, 4),
        row("good", 0.65, 0.85, 12),
        row("better", 0.70, 0.90, 14),
        row("too slow", 0.90, 0.95, 40),
    ]
    choice = fidelity.choose(rows)
    assert choice["setting"] == "better" and choice["met"] and choice["shortfall"] == {}
    short = fidelity.choose([row("cheap", 0.45, 0.70, 4), row("mid", 0.55, 0.82, 10), row("slow", 0.9, 0.9, 99)])
    assert short["setting"] == "mid" and not short["met"] and short["shortfall"] == {"kendall": pytest.approx(0.05)}
    # the issue's literal fallback (tau per second) is reported beside the rule's pick
    assert short["best_tau_per_second"]["setting"] == "cheap" and not short["best_tau_per_second"]["same_as_pick"]
    assert choice["best_tau_per_second"]["setting"] == "cheap"
    assert fidelity.choose([row("slow", 0.9, 0.9, 99)]) is None
    assert choice["rescore_default"] is None  # no simulation on the row: no decision


def test_fidelity_choice_names_a_complete_preset_and_the_package_ships_the_finished_study_s():
    fidelity = load("fidelity")
    from tsenas_pymoo.config import SearchConfig
    from tsenas_pymoo.presets import PRESETS

    preset = fidelity.preset_from_choice({"setting": "n2400-r14-e2", "validation": "pool 5000"})
    assert (preset["train_subset"], preset["resolution"], preset["epochs"], preset["val_size"]) == (2400, 14, 2, 5000)
    assert set(preset) == set(PRESETS["gpu"])  # names every setting a preset fixes
    split = fidelity.preset_from_choice({"setting": "n4800-r28-e1", "validation": "split"})
    assert (split["resolution"], split["val_size"]) == (None, 533)  # the study's split: N/9 held out
    SearchConfig(**preset).validate()
    study = json.loads((Path(__file__).resolve().parents[1] / "benchmarks/results/fidelity.json").read_text())
    if study["complete"]:  # the finished study's choice is the package's CPU preset
        assert PRESETS["cpu"] == study["choice"]["preset"]
        # and the issue's own fallback (best tau per second) is the quick one
        assert PRESETS["cpu-quick"] == fidelity.preset_from_choice(study["choice"]["best_tau_per_second"])
    else:  # no CPU preset before the study that chooses it has finished
        assert "cpu" not in PRESETS and "cpu-quick" not in PRESETS


def test_fidelity_ties_names_the_proxies_the_study_cannot_tell_from_the_pick():
    fidelity = load("fidelity")
    rng = np.random.default_rng(0)
    truth = rng.normal(0.9, 0.01, 80)
    noise = rng.normal(0, 0.004, 80)
    scores = {  # the pick and a twin that ranks like it, a reversed proxy, a fine one too slow to count
        ("pick", "1000"): truth + noise,
        ("twin", "1000"): truth + noise + 1e-7,
        ("reversed", "split"): -truth,
        ("slow", "1000"): truth,
    }

    def record(i, setting, score, value):
        return {"key": f"n{i}", "setting": setting, "seed": 0, "accuracy": {score: value}}

    records = [record(i, "target", "test", t) for i, t in enumerate(truth)]
    for (setting, score), values in scores.items():
        records += [record(i, setting, score, v) for i, v in enumerate(values)]
    proxies = [
        {
            "setting": s,
            "validation": v if v == "split" else f"pool {v}",
            "seconds": 60 if s == "slow" else 2,
            "kendall": 0.5,
        }
        for s, v in scores
    ]
    result = fidelity.ties(records, proxies, {"setting": "pick", "validation": "pool 1000"})
    assert result["compared"] == 2 and result["tied"] == 1  # the slow proxy is outside the cost goal
    assert result["cheapest_tied"]["setting"] == "twin" and result["worse"] == ["reversed split"]


def test_fidelity_by_kind_measures_the_chosen_proxy_within_each_kind():
    fidelity = load("fidelity")
    nets = [{"key": f"a{i}", "kind": "alg3"} for i in range(8)] + [{"key": f"e{i}", "kind": "edit"} for i in range(8)]
    nets += [{"key": f"p{i}", "kind": "pick-ga" if i % 2 else "pick-tsenas"} for i in range(4)]
    records = []
    for i, net in enumerate(nets):  # right order among samples, reversed among edits
        proxy = i if net["kind"] == "alg3" else -i
        records += [
            {"key": net["key"], "setting": "target", "seed": 0, "accuracy": {"test": float(i)}},
            {"key": net["key"], "setting": "cheap", "seed": 0, "accuracy": {"1000": float(proxy)}},
        ]
    result = fidelity.by_kind(records, nets, {"setting": "cheap", "validation": "pool 1000"})
    assert set(result) == {"alg3", "edit"}  # 4 picks: too few to rank
    assert result["alg3"]["kendall"] == pytest.approx(1) and result["edit"]["kendall"] == pytest.approx(-1)


def test_fidelity_icc_by_kind_separates_random_networks_from_close_relatives():
    fidelity = load("fidelity")
    rng = np.random.default_rng(1)
    spread = np.r_[np.linspace(0.5, 0.9, 6), np.full(40, 0.85)]  # six samples far apart, 40 equal edits
    table = spread[:, None] + rng.normal(0, 0.01, (46, 3))
    keys = [f"k{i}" for i in range(46)]
    kinds = {k: "alg3" if i < 6 else "edit" for i, k in enumerate(keys)}
    result = fidelity.icc_by_kind(table, keys, kinds)
    assert result["alg3"]["icc1"] > 0.95 and abs(result["edit"]["icc1"]) < 0.2 and result["edit"]["networks"] == 40


def test_fidelity_turns_rescoring_on_only_when_it_picks_better_networks():
    fidelity = load("fidelity")

    def row(gain, better, worse):
        sim = {"gain": gain, "gain_sd": 0.01, "better_share": better, "worse_share": worse, "top": 3, "repeats": 2}
        return {"rescore": sim}

    on = fidelity.rescore_default(row(0.004, 0.3, 0.1))
    assert on["on"] and on["rescore_top"] == 3 and on["rescore_seeds"] == 2
    for gain, better, worse in ((-0.001, 0.3, 0.1), (0.002, 0.1, 0.3), (0.0, 0.0, 0.0)):
        off = fidelity.rescore_default(row(gain, better, worse))
        assert not off["on"] and off["rescore_top"] == 0


def test_fidelity_tasks_put_the_repeatability_set_first_then_only_the_proxies_that_can_be_chosen():
    fidelity = load("fidelity")
    nets = [{"key": f"a{i}", "kind": "alg3"} for i in range(14)] + [{"key": f"e{i}", "kind": "edit"} for i in range(9)]
    icc = fidelity.icc_keys(nets)
    per_icc = 2 + 3 * (len(fidelity.SETTINGS) - 1)
    tasks = fidelity.tasks(nets)
    assert {k for k, _, _ in tasks} == set(icc) and len(icc) == 20 and len(tasks) == len(set(tasks)) == 20 * per_icc
    assert sum(1 for k, s, seed in tasks if s == "target") == 2 * len(icc)

    def record(key, setting, seed):  # 28 px proxies cost 30 s, 14 px ones 5 s
        slow = setting != "target" and fidelity.SETTINGS[setting]["resolution"] == 28
        return {
            "key": key,
            "setting": setting,
            "seed": seed,
            "train_s": 30.0 if slow else 5.0,
            "score_s": 0.1,
            "scored": 1000,
            "load": 1.0,
            "cores": 2,
        }

    records = [record(*t) for t in tasks]
    assert fidelity.tasks(nets, records[:-1]) == tasks  # the rest waits for the whole repeatability set
    # then every proxy is re-timed on 5 of its networks (seed 3) with the worker's malloc fixed
    retime = fidelity.tasks(nets, records)[len(tasks) :]
    proxies = [s for s in fidelity.SETTINGS if s != "target"]
    assert retime == [(k, s, 3) for k in icc[:5] for s in proxies]

    def timed(task, seconds):
        return dict(record(*task), train_cpu_s=seconds(task[1]), score_cpu_s=0.1, malloc_kept=True)

    cheap = {s for s in proxies if fidelity.SETTINGS[s]["resolution"] == 14}
    still_slow = [timed(t, lambda s: 5.0 if s in cheap else 30.0) for t in retime]
    assert fidelity.tasks(nets, records + still_slow[:-1])[len(tasks) :] == retime  # waits for all of it
    planned = fidelity.tasks(nets, records + still_slow)
    assert planned[: len(tasks) + len(retime)] == tasks + retime
    rest = planned[len(tasks) + len(retime) :]
    assert {s for _, s, _ in rest} == cheap | {"target"}
    assert {k for k, _, _ in rest} == {n["key"] for n in nets} - set(icc)
    assert len(rest) == len(set(rest)) == 3 * (len(cheap) + 1) and {seed for _, _, seed in rest} == {0}
    assert list(dict.fromkeys(k for k, _, _ in rest)) == ["a12", "e8", "a13"]  # kinds interleaved
    # the summary's forecast of what is left, made before the repeatability set is complete
    assert fidelity.planned(nets, fidelity.screened(records[:-1])) == planned
    # the re-timed costs decide: proxies the old timings (30 s) screened out come back at 12 s
    faster = fidelity.tasks(nets, records + [timed(t, lambda s: 5.0 if s in cheap else 12.0) for t in retime])
    assert {s for _, s, _ in faster[len(tasks) + len(retime) :]} == set(proxies) | {"target"}
    # and only the repeatability set's records count: cheaper records elsewhere change nothing
    later = [dict(timed(("a12", s, 0), lambda _: 1.0)) for s in proxies if s not in cheap] * 70
    assert fidelity.tasks(nets, records + still_slow + later) == planned


def test_fidelity_picks_train_only_the_chosen_proxy_once_the_preset_exists(monkeypatch):
    fidelity = load("fidelity")
    from tsenas_pymoo import presets

    nets = [{"key": "a", "kind": "alg3"}, {"key": "p", "kind": "pick-ga"}]
    kept = ["n1200-r14-e1", "n2400-r14-e2"]
    before = fidelity.planned(nets, kept)
    assert [s for k, s, _ in before if k == "p"] == ["target", *kept]
    cpu = {"train_subset": 2400, "resolution": 14, "epochs": 2, "val_size": 1000}
    monkeypatch.setitem(presets.PRESETS, "cpu", cpu)
    assert fidelity.chosen_setting() == "n2400-r14-e2"
    after = fidelity.planned(nets, kept)
    assert [s for k, s, _ in after if k == "p"] == ["target", "n2400-r14-e2"]
    assert [t for t in after if t[0] != "p"] == [t for t in before if t[0] != "p"]  # the core set is unchanged


def test_fidelity_interleave_keeps_every_prefix_in_proportion():
    fidelity = load("fidelity")
    merged = fidelity.interleave([[f"a{i}" for i in range(48)], [f"e{i}" for i in range(12)], ["p0", "p1", "p2"]])
    assert sorted(merged) == sorted([f"a{i}" for i in range(48)] + [f"e{i}" for i in range(12)] + ["p0", "p1", "p2"])
    for n in (10, 21, 42):
        edits = sum(k.startswith("e") for k in merged[:n])
        assert abs(edits - n * 12 / 63) <= 1, (n, edits)
    assert [k for k in merged if k.startswith("a")] == [f"a{i}" for i in range(48)]  # each kind keeps its order


def test_fidelity_cost_counts_only_records_timed_while_the_workers_ran_alone():
    fidelity = load("fidelity")

    def record(train_s, load):
        return {"setting": "n1200-r14-e1", "train_s": train_s, "score_s": 0.0, "scored": 1000, "load": load, "cores": 2}

    loaded = [record(30.0, 4.0) for _ in range(9)]
    assert fidelity.proxy_cost(loaded + [record(5.0, 2.2)] * 2, "n1200-r14-e1", "1000") == 30.0  # too few quiet
    assert fidelity.proxy_cost(loaded + [record(5.0, 2.2)] * 3, "n1200-r14-e1", "1000") == 5.0
    # CPU seconds, once three records carry them, whatever the load
    cpu = [dict(record(30.0, 4.0), train_cpu_s=6.0, score_cpu_s=1.0) for _ in range(3)]
    assert fidelity.proxy_cost(loaded + [record(5.0, 2.2)] * 3 + cpu, "n1200-r14-e1", "1000") == 7.0
    assert fidelity.timed_rows(loaded + cpu, "n1200-r14-e1")[1] == fidelity.CPU
    # the records trained with the worker's malloc keeping what it frees, once three exist
    kept = [dict(c, train_cpu_s=2.0, malloc_kept=True) for c in cpu]
    assert fidelity.proxy_cost(cpu + kept[:2], "n1200-r14-e1", "1000") == 7.0
    assert fidelity.proxy_cost(cpu + kept, "n1200-r14-e1", "1000") == 3.0


def test_two_runs_that_both_lack_their_end_files_are_not_the_same_end():
    from tsenas_pymoo.testing import harness as fault_injection

    run = {"best": ("0:3,0:3,0:3", 0.9), "rows": {"a": (0.9, "ok")}, "log": [{"generation": 1}], "files": True}
    assert all(fault_injection.same_end(run, dict(run)).values())
    unfinished = dict(run, files=False)
    assert fault_injection.same_end(unfinished, dict(unfinished)) == {
        "best": True,
        "rows": True,
        "log": True,
        "files": False,
    }
    assert not fault_injection.same_end(dict(run, rows={}), run)["rows"]


def test_anytime_reads_the_best_so_far_at_each_compute_value():
    compare = load("compare_algorithms")
    curve = [(2.0, 0.5, "a"), (4.0, 0.6, "b"), (6.0, 0.6, "c"), (8.0, 0.7, "d")]
    got = compare.anytime(curve, [0.0, 1.9, 2.0, 5.0, 8.0, 100.0])
    assert got[0] != got[0] and got[1] != got[1]  # NaN before the first result
    assert got[2:] == [0.5, 0.6, 0.7, 0.7]


def _comparison_runs(compare, monkeypatch, tmp_path, tests):
    """Synthetic run files of a campaign 'syn': method -> test accuracy per seed 0-4."""
    monkeypatch.setattr(compare, "RUNS", tmp_path / "runs")
    monkeypatch.setattr(compare, "RESULTS", tmp_path)
    monkeypatch.setattr(compare, "ROOT", tmp_path)
    (tmp_path / "runs" / "syn").mkdir(parents=True)
    (tmp_path / "plots").mkdir()
    for method, accuracies in tests.items():
        for seed, acc in enumerate(accuracies):
            tag = method.split(":")[1] if ":" in method else ""
            name = method.split(":")[0] + (f"-{tag}" if tag else "")
            run = {
                "seed": seed,
                "test_accuracy": acc,
                "best_val_accuracy": acc - 0.05,
                "budget": 10,
                "curve": [(2.0 * (i + 1), acc - 0.05 - 0.01 * (4 - i), f"k{i}") for i in range(5)],
                "params": 1000,
                "flops": 2000,
                "trained": 5,
                "search_s": 1.0,
                "proxy": {"budget": 10},
                "options": {"tag": tag},
            }
            (tmp_path / "runs" / "syn" / f"{name}-seed{seed}.json").write_text(json.dumps(run))


def test_comparison_summary_states_the_verdict_its_runs_hold(monkeypatch, tmp_path):
    compare = load("compare_algorithms")
    ours, random = [0.83, 0.84, 0.85, 0.86, 0.87], [0.80, 0.81, 0.82, 0.825, 0.829]
    _comparison_runs(compare, monkeypatch, tmp_path, {"tsenas": ours, "random": random})
    out = compare.summarize("syn", methods=("tsenas", "random"))
    assert out["methods"]["tsenas"]["test_median"] == 0.85 and out["methods"]["random"]["test_median"] == 0.82
    assert out["methods"]["random"]["p_tsenas_greater_test"] == pytest.approx(1 / 252)  # every one of 5 above 5
    assert out["goal"]["highest_median_test"] is True and out["goal"]["p_vs_random"] == pytest.approx(1 / 252)
    # random's final validation median is 0.77; a run of test accuracy a has best-so-far a - 0.09 + 0.01 i
    # after 2 (i + 1) network-epochs, so TS-ENAS's seeds pass 0.77 after 8, 6, 4, 2 and 2
    assert out["random_final_val_median"] == pytest.approx(0.77)
    assert out["methods"]["tsenas"]["compute_to_random_final"] == [8.0, 6.0, 4.0, 2.0, 2.0]
    assert (
        out["methods"]["tsenas"]["compute_to_random_final_median"] == 4.0 and out["goal"]["half_budget_to_random_final"]
    )
    assert (tmp_path / "compare_algorithms_fmnist_syn.json").exists()
    swapped = compare.summarize("syn", methods=("random", "tsenas"))
    assert swapped["methods"]["tsenas"]["test_median"] == 0.85  # the verdict does not depend on the order


def test_paired_table_pairs_variants_with_their_base_seed_by_seed(monkeypatch, tmp_path):
    compare = load("compare_algorithms")
    base = [0.80, 0.81, 0.82, 0.83, 0.84]
    _comparison_runs(
        compare, monkeypatch, tmp_path, {"tsenas": base, "tsenas:up": [a + 0.01 for a in base], "tsenas:same": base}
    )
    table = compare.paired_table("syn", ["up", "same", "missing"])
    assert set(table) == {"base", "up", "same"}
    assert table["up"]["test_minus_base"] == pytest.approx([0.01] * 5)
    assert table["up"]["p_wilcoxon"] == pytest.approx(0.0625)  # the smallest two-sided p of 5 pairs
    assert table["same"]["test_minus_base_median"] == 0 and table["same"]["p_wilcoxon"] is None


def test_baselines_invocations_on_other_models_merge_into_one_table(digits_small, monkeypatch, tmp_path):
    """The locked read-merge-write of baselines.main: each invocation keeps what the others
    wrote; the one over every model (training nothing already done) writes the table."""
    from tsenas_pymoo.evaluation.archive import Archive
    from tsenas_pymoo.genotype import save_genotype

    baselines = load("baselines")
    run = tmp_path / "run"
    genome = NetworkGenome.from_cells([3, 7, 3])
    save_genotype(run / "best_genotype.json", genome, (1, 8, 8), 10, 4)
    (run / "config.json").write_text(json.dumps({"dataset": "digits", "seed": 0, "final_epochs": 1}))
    Archive(run / "archive.sqlite")
    trained = []

    def fake_fit(model, data, seed, **kwargs):
        trained.append((type(model).__name__, seed))
        return {"test_error": 0.1 + seed / 100, "params": 1, "flops": 1, "seconds": 0.0}

    monkeypatch.setattr(baselines, "fit_and_test", fake_fit)
    monkeypatch.setattr(baselines, "RESULTS", tmp_path)
    common = ["--run", str(run), "--seeds", "0", "1", "--name", "t"]
    baselines.main([*common, "--models", "resnet"])
    baselines.main([*common, "--models", "searched", "darts"])
    first = json.loads((tmp_path / "baselines_t.json").read_text())
    assert len(first["runs"]) == 6 and first["complete"] is False  # the second kept the first's runs
    baselines.main(common)
    table = json.loads((tmp_path / "baselines_t.json").read_text())
    assert len(trained) == 6 and table["complete"] is True and len(table["rows"]) == 3
    assert {r["model"] for r in table["rows"]} == {SEARCHED, *BASELINES}


def test_ablation_summary_pairs_each_variant_with_the_full_method(monkeypatch, tmp_path):
    ablations = load("ablations")
    full = [0.80, 0.81, 0.82, 0.83, 0.84]
    _comparison_runs(
        ablations.compare, monkeypatch, tmp_path, {"tsenas": full, "tsenas:no-pruning": [a - 0.02 for a in full]}
    )
    monkeypatch.setattr(ablations, "RESULTS", tmp_path)
    monkeypatch.setattr(ablations, "ROOT", tmp_path)
    out = ablations.summarize("syn", ["no-pruning", "no-edge-mutation"])
    assert set(out["table"]) == {"full", "no-pruning"}  # a variant without runs is left out
    row = out["table"]["no-pruning"]
    assert row["test_minus_base"] == pytest.approx([-0.02] * 5) and row["p_wilcoxon"] == pytest.approx(0.0625)
    assert json.loads((tmp_path / "ablations_fmnist_syn.json").read_text())["table"]["full"]["test_median"] == 0.82


def test_a_results_file_is_written_only_with_its_splits_and_with_its_machine(tmp_path):
    common = importlib.import_module("benchmarks.common")
    assert (
        common.result_path("compare_algorithms", "fmnist", "", "report").name == "compare_algorithms_fmnist_report.json"
    )
    with pytest.raises(ValueError, match=r"x.json: splits=None; rule: name the selection and report images"):
        common.write_result(tmp_path / "x.json", {"value": 1})
    assert not (tmp_path / "x.json").exists()
    written = json.loads(
        common.write_result(tmp_path / "y.json", {"value": 1, "splits": common.NO_SELECTION}).read_text()
    )
    assert written["value"] == 1 and written["machine"]["cores"] >= 1 and written["splits"] == common.NO_SELECTION


def _inheritance_row(seed, child, scratch, arms, val_gap=None, generation=3):
    """One synthetic child: test accuracies given, validation = test + the arm's gap."""
    val_gap = val_gap or {}

    def scores(test, gap):
        return {"val": test + gap, "test": test, "sources": {}, "seconds": 1.0, "status": "ok"}

    return {
        "seed": seed,
        "generation": generation,
        "child": child,
        "n_parents": 2,
        "ancestor_epochs": 4,
        "scratch": {str(e): scores(v, val_gap.get("scratch", 0.0)) for e, v in scratch.items()},
        "arms": {a: {str(e): scores(v, val_gap.get(a, 0.0)) for e, v in by_e.items()} for a, by_e in arms.items()},
    }


def test_inheritance_summary_states_the_saving_the_rows_hold():
    inheritance = load("inheritance")
    scratch = {1: 0.70, 2: 0.75, 4: 0.80, 8: 0.85}
    arms = {"lineage": {1: 0.80, 2: 0.82}, "store": {1: 0.75, 2: 0.78}}
    rows = [
        _inheritance_row(seed, f"c{seed}{i}", scratch, arms, {"lineage": 0.03, "scratch": 0.01})
        for seed in range(3)
        for i in range(4)
    ]
    out = inheritance.summarize(rows, n_resamples=200)["3"]
    lineage, store = out["arms"]["lineage"], out["arms"]["store"]
    # one inherited epoch reaches scratch-4: worth 4 epochs, a saving of 3 (not 4)
    assert lineage["equivalent_scratch_epochs"]["estimate"] == pytest.approx(4.0)
    assert lineage["saving_epochs"]["estimate"] == pytest.approx(3.0)
    assert store["saving_epochs"]["estimate"] == pytest.approx(1.0)
    assert out["lineage_minus_store"]["1ep"]["estimate"] == pytest.approx(0.05)
    assert lineage["minus_scratch_1ep"]["estimate"] == pytest.approx(0.10)
    # validation flatters the inherited networks by 0.03, scratch by 0.01: a bias of 0.02
    assert lineage["selection_bias_1ep"]["estimate"] == pytest.approx(0.02)
    assert store["selection_bias_1ep"]["estimate"] == pytest.approx(-0.01)
    assert out["seeds"] == [0, 1, 2] and out["children"] == 12


def test_inheritance_summary_interval_spans_the_seeds_that_disagree():
    inheritance = load("inheritance")
    scratch = {1: 0.70, 2: 0.75, 4: 0.80, 8: 0.85}
    rows = []
    for seed, lineage in ((0, 0.72), (1, 0.78), (2, 0.84)):  # worth about 1.2, 3 and 7 epochs
        rows += [_inheritance_row(seed, f"c{seed}{i}", scratch, {"lineage": {1: lineage, 2: 0.85}}) for i in range(4)]
    eq = inheritance.summarize(rows, n_resamples=400)["3"]["arms"]["lineage"]["equivalent_scratch_epochs"]
    assert eq["ci95"][0] < 2.0 < 4.0 < eq["ci95"][1]
    assert eq["censored"] is None


def test_inheritance_refuses_rows_of_other_settings(tmp_path):
    inheritance = load("inheritance")
    settings = {"search": {"epochs": 2, "lr": 0.1}, "version": "0.5.0"}
    inheritance.check_settings(tmp_path, settings)
    inheritance.check_settings(tmp_path, settings)  # the same: fine
    with pytest.raises(SystemExit, match="lr"):
        inheritance.check_settings(tmp_path, {"search": {"epochs": 2, "lr": 0.05}, "version": "0.5.0"})
    with pytest.raises(SystemExit, match="version"):
        inheritance.check_settings(tmp_path, {"search": {"epochs": 2, "lr": 0.1}, "version": "0.6.0"})


def test_inheritance_campaign_end_to_end_scores_test_images_and_inherits_from_parents(tmp_path, monkeypatch):
    """A tiny real campaign on digits: snapshots of generations 0 and 2, every child in
    every arm, validation and test scores, and lineage children that take most of their
    parameters from their parents."""
    from tsenas_pymoo import presets

    inheritance = load("inheritance")
    tiny = {
        **{"dataset": "digits", "train_subset": 300, "epochs": 1, "init_channels": 4, "batch_size": 64, "lr": 0.05},
        **{"supernet_epochs": 1, "n_min": 3, "n_max": 4},
    }
    monkeypatch.setitem(presets.PRESETS, "tiny", tiny)
    monkeypatch.setattr(inheritance, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(inheritance, "ROOT", tmp_path)
    monkeypatch.setattr(inheritance, "PLOTS", tmp_path / "plots")
    monkeypatch.setattr(inheritance, "SCRATCH", (1, 2))
    monkeypatch.setattr(inheritance, "INHERITED", (1,))
    args = ["--preset", "tiny", "--seeds", "0", "--generations", "1", "2", "--pop", "2", "--workers", "1"]
    inheritance.main(args)
    rows = inheritance.read_rows(tmp_path / "results" / "inheritance_digits_tiny" / "records.jsonl")
    assert {r["generation"] for r in rows} == {0, 1, 2}
    later = [r for r in rows if r["generation"] == 2]
    assert later and all(r["n_parents"] >= 1 for r in later)
    for r in later:
        assert r["arms"]["lineage"]["1"]["sources"]["parent"] > 0.5
        assert r["arms"]["store"]["1"]["sources"]["parent"] == 0.0
        assert r["ancestor_epochs"] >= 1
        for e in ("1", "2"):
            assert 0.0 < r["scratch"][e]["test"] <= 1.0 and 0.0 < r["scratch"][e]["val"] <= 1.0
    first = [r for r in rows if r["generation"] == 0]
    assert len(first) == 2 and all(r["arms"]["supernet"]["1"]["sources"]["store"] > 0 for r in first)
    for r in first:  # the SuperNet's units with the search's warm start, and on scratch's schedule
        assert r["arms"]["supernet"]["1"]["sources"] == r["arms"]["supernet_cold"]["1"]["sources"]
        assert r["arms"]["supernet_cold"]["1"]["lr"] == r["scratch"]["1"]["lr"]
        assert r["arms"]["supernet"]["1"]["lr"] < r["scratch"]["1"]["lr"]
    result = json.loads((tmp_path / "results" / "inheritance_digits_tiny.json").read_text())
    assert set(result["summary"]) == {"0", "1", "2"} and result["splits"]["report"].startswith("the 10,000")
    assert "supernet_cold_minus_supernet" in result["summary"]["0"] and "lineage_minus_store" in result["summary"]["2"]
    assert (tmp_path / "plots" / "inheritance_digits_tiny.png").exists()
    # a rerun trains nothing more
    inheritance.main(args)
    records = tmp_path / "results" / "inheritance_digits_tiny" / "records.jsonl"
    assert len(inheritance.read_rows(records)) == len(rows)
    # a fresh machine (no run directories) with a row missing: the search is re-made, its
    # snapshots match the recorded ones, and only the missing child trains again
    lines = records.read_text().splitlines()
    records.write_text("\n".join(lines[:-1]) + "\n")
    shutil.rmtree(tmp_path / "runs")
    inheritance.main(args)
    again = inheritance.read_rows(records)
    assert len(again) == len(rows) and {r["child"] for r in again} == {r["child"] for r in rows}
    assert len(inheritance.read_records(records)) == len(rows)  # raw lines: no child trained twice
    # only a generation-1 row missing: the re-made search stops at generation 1
    lines = records.read_text().splitlines()
    gone = next(i for i, line in enumerate(lines) if json.loads(line)["generation"] == 1)
    records.write_text("\n".join(lines[:gone] + lines[gone + 1 :]) + "\n")
    shutil.rmtree(tmp_path / "runs")
    inheritance.main(args)
    log = tmp_path / "runs" / "inheritance_digits_tiny" / "seed0" / "search" / "log.jsonl"
    assert len(log.read_text().splitlines()) == 1
    assert len(inheritance.read_rows(records)) == len(rows)
    # a re-made search whose children differ from the record stops before training
    kept = tmp_path / "results" / "inheritance_digits_tiny" / "snapshots" / "seed0_gen1.json"
    recorded = kept.read_text()
    kept.write_text(json.dumps(dict(json.loads(recorded), search_network_epochs=-1)))
    work = tmp_path / "runs" / "inheritance_digits_tiny" / "seed0"
    with pytest.raises(SystemExit, match=r"seed0_gen1\.json: the re-made snapshot of seed 0, generation 1 differs"):
        inheritance.keep_snapshots(kept.parents[1], 0, work, (1,))
    kept.write_text(recorded)
    inherited = [r for r in rows if r["generation"] > 0]
    assert result["incomplete"]["stages"] == [] and result["lineage_parent_shares"]["children"] == len(inherited)
    # rows recorded by another package version: summarized under their own settings, never added to
    settings = tmp_path / "results" / "inheritance_digits_tiny" / "settings.json"
    settings.write_text(json.dumps(dict(json.loads(settings.read_text()), version="0.1")))
    inheritance.main([*args, "--summarize"])
    summary = json.loads((tmp_path / "results" / "inheritance_digits_tiny.json").read_text())
    assert summary["settings"]["version"] == "0.1" and summary["rows"] == len(rows)
    with pytest.raises(SystemExit, match="version"):
        inheritance.main(args)


def test_inheritance_summarize_never_trains(tmp_path, monkeypatch, capsys):
    """--summarize on a study with no rows yet reports that and starts no campaign."""
    inheritance = load("inheritance")
    monkeypatch.setattr(inheritance, "RESULTS", tmp_path / "results")

    def campaign(*_):
        raise AssertionError("--summarize started the campaign")

    monkeypatch.setattr(inheritance, "campaign", campaign)
    inheritance.main(["--preset", "cpu", "--summarize"])
    assert "no rows yet" in capsys.readouterr().out


def test_inheritance_stages_left_resume_the_search_only_as_far_as_missing_rows_need():
    inheritance = load("inheritance")
    snap = {"children": [{"key": "a"}, {"key": "b"}]}
    kept = {(0, g): snap for g in (0, 3, 6, 12)}
    every = {(0, g, k) for g in (0, 3, 6, 12) for k in "ab"}
    gens = (3, 6, 12)
    assert inheritance.stages_left(gens, kept, every, 0) == []
    assert inheritance.stages_left(gens, kept, every - {(0, 6, "b")}, 0) == [3, 6]  # paused at 3 too
    assert inheritance.stages_left(gens, kept, every - {(0, 0, "a")}, 0) == [0]
    assert inheritance.stages_left(gens, {}, set(), 0) == [0, 3, 6, 12]  # nothing recorded
    assert inheritance.stages_left(gens, {k: v for k, v in kept.items() if k != (0, 12)}, every, 0) == [3, 6, 12]


def _square(x):
    return x * x


@pytest.mark.parametrize("workers", [1, 2])
def test_run_tasks_hands_every_result_over_as_it_ends(workers):

    from benchmarks.common import run_tasks

    seen = []
    run_tasks(_square, [(i,) for i in range(6)], workers, lambda r, bar: seen.append(r))
    assert sorted(seen) == [0, 1, 4, 9, 16, 25]
    # follow-up tasks a result makes possible run in the same pool, and theirs too
    seen = []

    def more(r):
        return [(_square, r)] if 1 < r < 10 else []

    run_tasks(_square, [(i,) for i in range(4)], workers, lambda r, bar: seen.append(r), follow_up=more)
    assert sorted(seen) == [0, 1, 4, 9, 16, 81]


def test_surrogate_data_trains_alg3_first_then_neighbours_of_the_best_then_search_picks(tmp_path, monkeypatch):
    import sys

    from tsenas_pymoo import presets
    from tsenas_pymoo.bench import load_table
    from tsenas_pymoo.space.genome import genome_from_key

    data = load("surrogate_data")
    from benchmarks.experiments import compare_surrogate

    tiny_budget = {"pop_size": 4, "stage1_gens": 2, "fine_size": 1, "stage2_gens": 1}
    monkeypatch.setitem(compare_surrogate.BUDGETS, "tiny", tiny_budget)
    monkeypatch.setattr(data, "SEARCH_SEEDS", {"tiny": (0,)})
    assert sys.modules["benchmarks.experiments.compare_surrogate"] is compare_surrogate
    tiny = {"dataset": "digits", "train_subset": 200, "epochs": 1, "init_channels": 4, "n_min": 3, "n_max": 4}
    monkeypatch.setitem(presets.PRESETS, "tiny", tiny)
    monkeypatch.setattr(data, "RESULTS", tmp_path)
    monkeypatch.setattr(data, "N_ALG3", 6)
    monkeypatch.setattr(data, "N_REPEATED", 1)
    monkeypatch.setattr(data, "N_TOP", 2)
    monkeypatch.setattr(data, "NEIGHBOURS", {"mutation": 1, "crossover": 1, "edit": 2})
    monkeypatch.setattr(data, "COMPARISON", tmp_path / "none")
    data.main(["--preset", "tiny", "--workers", "1"])
    records = data.read(tmp_path / "surrogate_data_digits_tiny" / "records.jsonl")
    origins = [r["origin"] for r in records]
    assert origins.count("alg3") == 6 + 2 and set(origins) == {"alg3", "mutation", "crossover", "edit", "search"}
    # phase 3: every method searched a surrogate of phases 1-2; each new final pick trained
    searches = data.read(tmp_path / "surrogate_data_digits_tiny" / "phase3_searches.jsonl")
    assert sorted(r["method"] for r in searches) == sorted(compare_surrogate.METHODS)
    earlier = {r["key"] for r in records if r["origin"] != "search"}
    assert {r["key"] for r in records if r["origin"] == "search"} == {r["pick"] for r in searches} - earlier
    assert all(0 < r["test_accuracy"] <= 1 and 0 < r["val_accuracy"] <= 1 for r in records)
    assert all(r["stage"] == 2 for r in records if r["origin"] == "edit")
    # the neighbours descend from the best three by validation
    alg3 = {}
    for r in records[: 6 + 2]:
        alg3.setdefault(r["key"], []).append(r["val_accuracy"])
    top = sorted(alg3, key=lambda k: -sum(alg3[k]) / len(alg3[k]))[:2]
    edits = [genome_from_key(r["key"]) for r in records if r["origin"] == "edit"]
    assert all(tuple(e.codes) in {genome_from_key(k).codes for k in top} for e in edits)
    path = data.write_package_table("tiny", records, tmp_path / "table.csv")
    table = load_table(path)
    assert len(table) == len(records) and table.meta["settings"]["preset"] == "tiny"
    assert table.input_shape == (1, 8, 8)
    data.main(["--preset", "tiny", "--workers", "1"])  # resumes: nothing left
    assert len(data.read(tmp_path / "surrogate_data_digits_tiny" / "records.jsonl")) == len(records)


def test_compare_real_tests_each_method_against_tsenas_on_the_mean_of_its_target_trainings():
    compare = load("compare_real")
    rng = np.random.default_rng(0)
    runs, post = [], {}
    for method, level in (("tsenas", 0.90), ("random", 0.88), ("ga", 0.885)):
        for seed in range(8):
            key = f"{method}-{seed}"
            runs.append(
                {
                    "method": method,
                    "seed": 300 + seed,
                    "pick": key,
                    "search_pick": key if seed % 2 else "other",
                    "best_val_accuracy": 0.8,
                    "compute": {"networks": 40, "mmac_epochs": 100.0},
                    "rescore_mmac_epochs": 5.0,
                    "seconds": 60.0,
                    # the re-score ranks picks backwards here, so tau must come out negative
                    "rescore": [{"key": key, "mean": 0.9 - level, "sd": 0.0}, {"key": "other", "mean": 0.5, "sd": 0.0}],
                }
            )
            for s in (0, 1, 2):
                post[(key, s)] = level + rng.normal(0, 0.002)
    runs.append(dict(runs[0], seed=399, pick="unscored"))  # no target training yet: left out
    out = compare.summarize(runs, post)
    assert out["methods"]["tsenas"]["runs"] == 8 and out["methods"]["tsenas"]["mmac_epochs"]["median"] == 105.0
    assert out["methods"]["random"]["rescore_changed_pick"] == 4
    assert 0.0005 < out["methods"]["ga"]["target_seed_sd"] < 0.004  # the 0.002 seed noise put in
    assert out["tests"]["omnibus"]["p"] < 0.001 and out["goal"]["met"] and out["goal"]["highest_median"]
    assert 0 < out["detectable_shift"]["shift"] < 0.01 and out["detectable_shift"]["seeds"] == 8
    fidelity = out["pick_fidelity"]
    assert fidelity["picks"] == 24 and fidelity["tau_rescore_mean"]["tau"] < -0.5
    assert fidelity["tau_rescore_mean"]["p"] < 0.001 and np.isnan(fidelity["tau_search_best_val"]["tau"])
    rows = compare.table(out).splitlines()
    assert len(rows) == 2 + 3 and rows[2].startswith("| TS-ENAS | 8 | 0.90")
    shift = float(rows[4].split("|")[5].split()[0])
    assert rows[4].startswith("| random search | 8 |") and shift == pytest.approx(0.02, abs=0.002)  # 0.90 - 0.88
    equal = {k: 0.88 + rng.normal(0, 0.002) for k in post}
    assert not compare.summarize(runs, equal)["goal"]["met"]


def test_supernet_start_trains_every_arm_on_the_same_children_and_resumes(tmp_path, monkeypatch):
    from tsenas_pymoo import presets

    study = load("supernet_start")
    tiny = {"dataset": "digits", "train_subset": 200, "epochs": 1, "init_channels": 4, "n_min": 3, "n_max": 4}
    monkeypatch.setitem(presets.PRESETS, "tiny", tiny)
    monkeypatch.setattr(study, "RESULTS", tmp_path)
    monkeypatch.setattr(study, "ROOT", tmp_path)
    study.main(["--preset", "tiny", "--seeds", "0", "--children", "2"])
    rows = study.read_records(tmp_path / "supernet_start_tiny" / "records.jsonl")
    assert len(rows) == 2 * 5 * 2  # children x arms (scratch, SuperNet 2 and 8 epochs, warm and cold) x epochs 1, 2
    arms = {"scratch"} | {f"supernet{e}-{w}" for e in (2, 8) for w in ("warm", "cold")}
    assert {r["arm"] for r in rows} == arms
    assert all(r["inherited"] == 0 and r["lr"] == 0.1 for r in rows if r["arm"] == "scratch")
    assert all(r["inherited"] > 0.5 for r in rows if r["arm"] != "scratch")
    assert {r["lr"] for r in rows if r["arm"].endswith("warm")} == {0.1 * 0.3}
    assert {r["lr"] for r in rows if r["arm"].endswith("cold")} == {0.1}
    summary = json.loads((tmp_path / "supernet_start_tiny.json").read_text())
    assert summary["minus_scratch"]["supernet8-cold"]["2"]["children"] == 2
    study.main(["--preset", "tiny", "--seeds", "0", "--children", "2"])  # resumes: nothing left
    assert len(study.read_records(tmp_path / "supernet_start_tiny" / "records.jsonl")) == len(rows)


def test_supernet_start_summary_finds_a_known_deficit():
    study = load("supernet_start")
    rng = np.random.default_rng(0)
    rows = []
    for seed in (0, 1):
        for child in range(10):
            base = 0.8 + rng.normal(0, 0.02)
            for arm, shift in (("scratch", 0.0), ("supernet2-warm", -0.03), ("supernet2-cold", 0.0)):
                test = base + shift + rng.normal(0, 0.002)
                rows.append({"seed": seed, "child": f"c{child}", "arm": arm, "epochs": 1, "test": test, "status": "ok"})
    out = study.summarize(rows, n_resamples=500)["minus_scratch"]
    warm, cold = out["supernet2-warm"]["1"], out["supernet2-cold"]["1"]
    assert warm["ci95"][1] < -0.02 and warm["p"] < 0.01 and warm["wilcoxon_p"] < 0.01
    assert cold["ci95"][0] < 0 < cold["ci95"][1] and warm["children"] == 20
    assert warm["better_share"] == 0 and warm["median"] == pytest.approx(-0.03, abs=0.003)


def test_compare_real_campaign_trains_each_new_pick_once_as_its_search_lands(tmp_path, monkeypatch):
    compare = load("compare_real")
    monkeypatch.setattr(compare, "RUNS", tmp_path / "records.jsonl")
    monkeypatch.setattr(compare, "POST", tmp_path / "post.jsonl")
    monkeypatch.setattr(compare, "post_results", lambda: {("0:1", 0): 0.9})  # known: not trained again
    compare.append_record(compare.RUNS, {"method": "ga", "seed": 300, "pick": "0:2"})  # searched before the cut
    picks = {("tsenas", 300): "0:1", ("ga", 301): "0:3", ("tsenas", 301): "0:3"}
    order = []

    def search(method, seed, settings):
        order.append(("search", method, seed))
        return {"method": method, "seed": seed, "pick": picks[method, seed]}

    def post(key, seed):
        order.append(("post", key, seed))
        return {"key": key, "seed": seed, "setting": "target", "accuracy": {"test": 0.8}}

    monkeypatch.setattr(compare, "search_task", search)
    monkeypatch.setattr(compare, "post_task", post)
    settings = {"networks": 20, "pop_size": 10, "budget": 5}
    compare.campaign(["tsenas", "ga"], [300, 301], settings, workers=1)
    searched = [o[1:] for o in order if o[0] == "search"]
    trained = sorted(o[1:] for o in order if o[0] == "post")
    assert searched == [("tsenas", 300), ("tsenas", 301), ("ga", 301)]
    assert trained == sorted([("0:1", 1), ("0:1", 2), *[(k, s) for k in ("0:2", "0:3") for s in (0, 1, 2)]])
    assert len(compare.read_records(compare.RUNS)) == 4 and len(compare.read_records(compare.POST)) == 8


def test_compare_real_plan_counts_each_run_and_the_seeds_the_hours_afford(tmp_path):
    compare = load("compare_real")
    study = {
        "target": {"repeatability": {"seed_sd": 0.006, "architecture_sd": 0.008}, "seconds_median": 400.0},
        "choice": {"seconds": 10.0},
    }
    (tmp_path / "fidelity.json").write_text(json.dumps(study))
    settings = {"networks": 100, "rescore_top": 3, "rescore_seeds": 2}
    out = compare.plan(settings, tmp_path / "fidelity.json", hours=5.0, cores=2)
    # a run: 106 trainings of 10 s and 3 targets of 400 s; 5 methods share 36,000 CPU s
    assert out["cost"]["cpu_s_per_run"] == 2260.0 and out["cost"]["seeds_affordable"] == 3
    low, high = out["sd_range"]
    assert low == pytest.approx(0.006 / 3**0.5) and high == pytest.approx((0.006**2 / 3 + 0.008**2) ** 0.5)
    # 3 seeds: the exact test's smallest p is 0.1, no shift detectable; 5 chosen instead
    assert out["cost"]["detectable_with_affordable"] == [None, None] and out["fewest_seeds_exact_test"] == 5
    assert out["cost"]["seeds_chosen"] == 5 and out["cost"]["hours_chosen"] == pytest.approx(5 * 5 * 2260 / 2 / 3600)
    longer = compare.plan(settings, tmp_path / "fidelity.json", hours=10.0, cores=2)["cost"]
    assert longer["seeds_chosen"] == longer["seeds_affordable"] == 6
    assert longer["detectable_with_affordable"][0] > out["detectable_with_10_seeds"][0]
    assert compare.plan(settings, tmp_path / "fidelity.json", hours=1.0)["cost"]["detectable_with_affordable"] is None


def test_compare_real_gives_tsenas_stage_one_then_stage_two_until_the_budget():
    compare = load("compare_real")
    assert compare.schedule("tsenas", 100, 10) == {"pop_size": 10, "stage1_gens": 5, "stage2_gens": 10**6}
    assert compare.schedule("random", 100, 10)["stage2_gens"] == 0


def test_compare_real_runs_a_search_as_the_cli_does_and_records_its_compute(tmp_path):
    compare = load("compare_real")
    settings = dict(
        dataset="digits",
        train_subset=400,
        n_min=3,
        n_max=4,
        epochs=1,
        init_channels=4,
        final_epochs=1,
        batch_size=64,
        device="cpu",
        threads=1,
        budget_unit="mmac-epochs",
        rescore_top=2,
        rescore_seeds=1,
    )
    settings["budget"] = compare.budget_for(settings, 6)
    assert settings["budget"] >= 1
    record = compare.search_task(
        "random", 300, dict(settings, run_root=tmp_path, pop_size=3, fine_size=2, stage1_gens=10**6)
    )
    assert record["compute"]["mmac_epochs"] >= settings["budget"] and record["rescore_mmac_epochs"] > 0
    assert len(record["rescore"]) == 2 and record["pick"] in {c["key"] for c in record["rescore"]}
    # random search keeps no elite population: its candidates are the best it ever evaluated
    rows = Archive(tmp_path / "random-seed300" / "archive.sqlite").records()
    best = sorted((r for r in rows if "#" not in r["key"]), key=lambda r: -r["accuracy"])
    assert [c["key"] for c in record["rescore"]] == [r["key"] for r in best[:2]]


def test_inheritance_goal_reads_the_deepest_generation_and_the_pooled_store_difference():
    inheritance = load("inheritance")
    scratch = {1: 0.70, 2: 0.75, 4: 0.80, 8: 0.85}

    def rows(lineage_at_12, store_behind):
        out = []
        for seed in range(3):
            for i in range(4):
                wobble = 0.002 * (i - 1.5)  # children differ, so the bootstrap has spread
                for g, lineage in ((3, 0.74), (12, lineage_at_12)):
                    one = lineage + wobble
                    arms = {"lineage": {1: one, 2: 0.84}, "store": {1: one - store_behind, 2: 0.8}}
                    out.append(_inheritance_row(seed, f"c{seed}{i}", scratch, arms, generation=g))
        return out

    def verdict(data):
        return inheritance.goal(
            inheritance.summarize(data, n_resamples=300), inheritance.lineage_vs_store(data, 1, 300)
        )

    met = verdict(rows(lineage_at_12=0.81, store_behind=0.05))  # worth about 4.6 scratch epochs at 12
    assert met["saving"]["generation"] == 12 and met["saving"]["estimate"] > 3
    assert met["saving_met"] and met["lineage_vs_store_met"] and met["met"]
    assert met["lineage_vs_store"]["generations"] == [3, 12] and met["lineage_vs_store"]["children"] == 24
    short = verdict(rows(lineage_at_12=0.78, store_behind=0.05))  # worth 3 epochs: a saving of 2
    assert short["saving_met"] is False and short["met"] is False
    spread = rows(lineage_at_12=0.81, store_behind=0.05)
    for r in spread:  # seeds disagree at 12 (worth about 1.7, 5.3 and 8 epochs): mean saving > 3, low end < 2
        if r["generation"] == 12:
            r["arms"]["lineage"]["1"]["test"] += {0: -0.07, 1: +0.01, 2: +0.04}[r["seed"]]
    unsure = verdict(spread)
    assert unsure["saving"]["estimate"] >= 3 and unsure["saving"]["ci95"][0] <= 2 and unsure["saving_met"] is False
    tied = verdict(rows(lineage_at_12=0.81, store_behind=0.0))  # the store as good as the lineage
    assert tied["saving_met"] and tied["lineage_vs_store_met"] is False and tied["met"] is False
    shallow = inheritance.goal(
        inheritance.summarize([r for r in rows(0.81, 0.05) if r["generation"] == 3], n_resamples=50), {}
    )
    assert shallow["saving"] is None and shallow["met"] is False


def test_inheritance_seed_power_treats_each_search_seed_as_one_unit():
    inheritance = load("inheritance")
    scratch = {1: 0.70, 2: 0.75, 4: 0.80, 8: 0.85}
    rows = [
        _inheritance_row(seed, f"c{seed}{i}", scratch, {"lineage": {1: 0.75 + gap, 2: 0.8}, "store": {1: 0.75, 2: 0.8}})
        for seed, gap in ((0, 0.01), (1, 0.02), (2, 0.03))
        for i in range(5)
    ]
    out = inheritance.seed_power(rows)
    assert out["seed_means"] == pytest.approx([0.01, 0.02, 0.03]) and out["seed_sd"] == pytest.approx(0.01)
    # t(0.975, 2) + t(0.8, 2) = 4.303 + 1.061: the detectable difference with 3 seeds
    assert out["detectable"] == pytest.approx(5.364 * 0.01 / 3**0.5, rel=1e-3)
    assert out["seeds_needed"] == 5  # a mean of 0.02 with seed SD 0.01 needs 5 seeds
    # t = 0.02 / (0.01 / sqrt(3)) = 3.464 on 2 degrees of freedom: two-sided p 0.0742
    assert out["t_test_p"] == pytest.approx(0.0742, abs=5e-4)
    assert inheritance.seed_power(rows[:5])["detectable"] is None  # one seed: nothing to size


def test_inheritance_names_a_partial_seed_and_summarizes_its_generation_without_it():
    """A stage with fewer rows than its snapshot's children is listed, and its generation
    summarized on the complete seeds; lineage children below half from parents are counted."""
    inheritance = load("inheritance")
    scratch = {1: 0.70, 2: 0.75, 4: 0.80, 8: 0.85}
    rows = []
    for seed in range(3):
        for i in range(4 if seed < 2 else 1):
            lineage = 0.80 if seed < 2 else 0.70  # the partial seed's child: no better than scratch
            row = _inheritance_row(seed, f"c{seed}{i}", scratch, {"lineage": {1: lineage + 0.001 * i, 2: 0.8}})
            row["arms"]["lineage"]["1"]["sources"] = {"parent": 0.4 if (seed, i) == (0, 0) else 0.9}
            rows.append(row)
    snapshots = {(seed, 3): {"children": [{"key": f"c{seed}{i}"} for i in range(4)]} for seed in range(3)}
    out = inheritance.incomplete(rows, snapshots, n_resamples=100)
    assert out["stages"] == [{"seed": 2, "generation": 3, "rows": 1, "children": 4}]
    alone = out["generation_without_them"]["3"]
    assert alone["seeds"] == [0, 1] and alone["children"] == 8
    assert alone["test_mean"]["lineage"]["1"] == pytest.approx(0.8015)  # the partial seed's 0.70 is left out
    assert inheritance.incomplete(rows[:8], {k: v for k, v in snapshots.items() if k[0] < 2})["stages"] == []
    shares = inheritance.parent_shares(rows)
    assert shares["children"] == 9 and shares["below_threshold"] == 1
    assert shares["mean_by_generation"]["3"] == pytest.approx((0.4 + 8 * 0.9) / 9)


SCRIPTS = sorted(p for p in BENCH.glob("*/*.py") if p.name != "__init__.py")


def test_benchmarks_are_a_package_that_touches_no_import_path_and_no_tests():
    """``python -m benchmarks.<folder>.<script>``: no script edits ``sys.path`` or imports
    from ``tests/`` (shared helpers live in ``tsenas_pymoo.testing``)."""
    import ast

    for path in [BENCH / "common.py", *SCRIPTS]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "path":
                assert getattr(node.value, "id", None) != "sys", f"{path.name}: sys.path"
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert not any(n.split(".")[0] == "tests" for n in names), f"{path.name} imports {names}"
    for folder in {p.parent for p in SCRIPTS}:
        assert (folder / "__init__.py").exists(), folder


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_every_benchmark_imports_as_a_module_of_the_package(path):
    module = importlib.import_module(f"benchmarks.{path.parent.name}.{path.stem}")
    assert module.__file__ == str(path)


def test_a_results_file_names_the_module_command_that_remakes_it():
    from benchmarks.common import ROOT, command_line

    script = str(ROOT / "benchmarks" / "experiments" / "fidelity.py")
    assert command_line([script, "--summarize"]) == "python -m benchmarks.experiments.fidelity --summarize"
    assert command_line(["-c", "x"]) == "python -c x"


def _results_table() -> dict[str, tuple[str, str]]:
    """docs/development.md's table: results file or folder -> (command, needs)."""
    import re

    text = (BENCH.parent / "docs" / "development.md").read_text()
    section = text.split("### Results files and the command that remakes each", 1)[1]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("| `") else []
        if len(cells) == 3:
            for name in re.findall(r"`([^`]+)`", cells[0].split(" (")[0]):
                rows[name] = (cells[1].split("`")[1], cells[2])
    return rows


def test_every_results_file_has_one_row_naming_the_command_that_remakes_it():
    rows = _results_table()
    results = BENCH / "results"
    rows = {p.name: row for name, row in rows.items() if "*" in name for p in sorted(results.glob(name))} | {
        name: row for name, row in rows.items() if "*" not in name
    }
    present = {p.name for p in results.glob("*.json")} | {p.name + "/" for p in results.iterdir() if p.is_dir()}
    assert present - set(rows) == set(), "results without a row in docs/development.md"
    assert set(rows) - present == set(), "rows without a results file"
    for name, (command, needs) in rows.items():
        if command.startswith("python -m benchmarks."):
            module = command.split()[2]
            assert (BENCH.parent / (module.replace(".", "/") + ".py")).exists(), (name, module)
        else:
            assert "commit" in needs, f"{name}: {command!r} is not a module of benchmarks/ and names no commit"
        path = results / name
        if path.suffix == ".json":
            recorded = (json.loads(path.read_text()).get("provenance") or {}).get("command")
            if recorded:
                from benchmarks.common import command_line

                old = recorded.split()[1:]  # files stamped before the package form: python benchmarks/x/y.py
                expected = command_line([str(BENCH.parent / old[0]), *old[1:]]) if old[0].endswith(".py") else recorded
                assert command.startswith(expected), (name, command, expected)


def test_a_mutant_is_counted_in_the_file_it_mutates_package_inits_included():
    from benchmarks.quality.mutation import mutant_file

    assert mutant_file("tsenas_pymoo.space.width.x_rule__mutmut_3") == "space/width"
    assert mutant_file("tsenas_pymoo.space.x___getattr____mutmut_12") == "space/__init__"
    assert mutant_file("tsenas_pymoo.operators.mutation.xǁCellMutationǁ_do__mutmut_3") == "operators/mutation"


def test_table3_search_fitness_scores_a_network_as_the_search_scored_it_without_parents(digits_small):
    from tsenas_pymoo.evaluation.archived import genome_seed
    from tsenas_pymoo.evaluation.evaluator import TorchEvaluator
    from tsenas_pymoo.operators.sampling import sample_genome

    table3 = load("table3_budget")
    ev = TorchEvaluator(digits_small, epochs=1, init_channels=4, device="cpu", seed=3)
    genome = sample_genome(np.random.default_rng(1), 2, 3, ev.input_shape)
    searched = ev.train_genome(genome, parents=[])["accuracy"]
    seed = genome_seed(3, genome.key())
    assert table3.search_fitness(ev, ev.build(genome, seed=seed), seed) == searched
    assert table3.search_fitness(ev, ev.build(genome, seed=seed + 1), seed + 1) != searched  # the seed matters


def test_table3_trains_the_rule_pick_only_once_the_study_is_complete(tmp_path, monkeypatch):
    table3 = load("table3_budget")
    monkeypatch.setattr(table3, "RESULTS", tmp_path)
    kept = {"summary": {"search_pick": "A", "best_genome": "B"}}
    with pytest.raises(SystemExit, match=r"not complete \(no summary\); rule: finish it first, or train a named pick"):
        table3.chosen_pick(kept)
    study = {"verdict": "partial: 36 of 41 networks", "decision": {"finalist_round_default": True}}
    (tmp_path / "budget_fidelity.json").write_text(json.dumps(study))
    with pytest.raises(SystemExit, match=r"not complete \(partial: 36 of 41"):
        table3.chosen_pick(kept)
    assert (table3.named_pick(kept, "search"), table3.named_pick(kept, "finalist")) == ("A", "B")
    (tmp_path / "budget_fidelity.json").write_text(json.dumps({**study, "verdict": "complete"}))
    assert table3.chosen_pick(kept)[0] == table3.named_pick(kept, "rule") == "B"
    study["decision"]["finalist_round_default"] = False
    (tmp_path / "budget_fidelity.json").write_text(json.dumps({**study, "verdict": "complete"}))
    assert table3.chosen_pick(kept)[0] == "A"
    same = {"summary": {"search_pick": "A", "best_genome": "A"}}
    (tmp_path / "budget_fidelity.json").unlink()
    assert table3.chosen_pick(same)[0] == "A"  # one network: no decision needed


def test_table3_fitness_ranks_place_each_score_among_the_archive(tmp_path, monkeypatch):
    from tsenas_pymoo.analysis.campaign import append_record

    table3 = load("table3_budget")
    monkeypatch.setattr(table3, "FITNESS", tmp_path / "fitness.jsonl")
    rows = (("x", 0.8, 1.0), ("y", 0.7, 0.0), ("z", 0.6, 0.2))
    kept = {"archive": [{"key": k, "accuracy": a, "status": "ok", "inherited_fraction": f} for k, a, f in rows]}
    for seed, accuracy in enumerate((0.9, 0.75, 0.65)):
        append_record(table3.FITNESS, {"model": "net", "key": "", "seed": seed, "accuracy": accuracy})
    append_record(table3.FITNESS, {"model": "first-generation check", "key": "y", "seed": 0, "accuracy": 0.7})
    ranks = table3.fitness_ranks(kept)
    assert ranks["archive_networks"] == 3
    assert ranks["networks"]["net"]["ranks"] == [1, 2, 3] and ranks["networks"]["net"]["median_rank"] == 2
    assert ranks["networks"]["net"]["median_accuracy"] == 0.75
    assert ranks["networks"]["first-generation check"]["archived_accuracy"] == 0.7
    inherited = ranks["inheritance"]
    assert inherited["inherited_half_or_more"] == {"networks": 1, "median": 0.8}
    assert inherited["inherited_less_than_half"] == {"networks": 2, "median": pytest.approx(0.65)}
    assert inherited["p_inherited_higher"] == pytest.approx(1 / 3)


def test_table3_reads_a_finished_run_only_once_signed_and_never_through_a_link(tmp_path):
    from tsenas_pymoo.rundir import LinkedEntry
    from tsenas_pymoo.space.genome import genome_from_key
    from tsenas_pymoo.trust import UntrustedCheckpoint, sign_manifest

    table3 = load("table3_budget")
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"seed": 1}))
    (run / "summary.json").write_text(json.dumps({"search_pick": "0:3,0:3"}))
    (run / "best_genotype.json").write_text(json.dumps({"cells": []}))
    (run / "log.jsonl").write_text('{"n_gen": 1}\n\n{"n_gen": 2}\n')
    archive = Archive(run / "archive.sqlite")
    archive.put("0:3,0:3", genome_from_key("0:3,0:3"), {"accuracy": 0.5, "params": 10, "status": "ok"})
    archive.close()
    with pytest.raises(UntrustedCheckpoint, match=r"manifest\.json does not exist"):
        table3.read_run(run)
    sign_manifest(run)
    summary, rows, genotype, generations = table3.read_run(run)
    assert summary == {"search_pick": "0:3,0:3"} and genotype == {"cells": []}
    assert [g["n_gen"] for g in generations] == [1, 2]
    assert rows == [
        dict.fromkeys(table3.ARCHIVE_FIELDS) | {"key": "0:3,0:3", "accuracy": 0.5, "params": 10, "status": "ok"}
    ]
    (run / "config.json").write_text(json.dumps({"seed": 2}))
    with pytest.raises(UntrustedCheckpoint, match="changed since you signed"):
        table3.read_run(run)
    sign_manifest(run)
    (run / "summary.json").rename(tmp_path / "elsewhere.json")
    (run / "summary.json").symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(LinkedEntry, match=r"summary\.json is a symbolic link"):
        table3.read_run(run)
    (run / "summary.json").unlink()
    (tmp_path / "elsewhere.json").rename(run / "summary.json")
    table3.read_run(run)
    (run / "weights").symlink_to(tmp_path, target_is_directory=True)  # a link no read opens: the walk finds it
    with pytest.raises(LinkedEntry, match=r"weights is a symbolic link"):
        table3.read_run(run)


def test_table3_summary_compares_the_rule_pick_with_both_baselines(tmp_path, monkeypatch):
    from tsenas_pymoo.analysis.campaign import append_record

    table3 = load("table3_budget")
    for name, path in (("RESULTS", tmp_path), ("SEARCH", tmp_path / "search.json"), ("FITNESS", tmp_path / "f.jsonl")):
        monkeypatch.setattr(table3, name, path)
    monkeypatch.setattr(table3, "RECORDS", tmp_path / "records.jsonl")
    key = "0:3,0:3,1:8,1:4,3:4,3:8,2:1,5:4"
    kept = {"command": "tsenas search", "summary": {"search_pick": key, "best_genome": key}, "archive": []}
    (tmp_path / "search.json").write_text(json.dumps(kept))
    old_table = tmp_path / "baselines_table3.json"
    old_table.write_text(json.dumps({"rows": [1], "provenance": {"command": "old"}}))
    baselines = {
        "ResNet": {"params": 300_000, "macs": 35_000_000, "test_errors": [0.067, 0.068, 0.066], "seeds": [0, 1, 2]},
        "DARTS": {"params": 280_000, "macs": 35_500_000, "test_errors": [0.061, 0.0625, 0.062], "seeds": [0, 1, 2]},
    }
    monkeypatch.setattr(table3, "baseline_rows", lambda: {k: dict(v) for k, v in baselines.items()})
    for seed, error in enumerate((0.064, 0.063)):
        append_record(table3.RECORDS, {"model": "searched", "key": key, "seed": seed, "test_error": error,
                                       "params": 290_000, "macs": 34_000_000})  # fmt: skip
    append_record(table3.RECORDS, {"model": "searched", "key": "0:3", "seed": 0, "test_error": 0.07})
    out = table3.summarize()
    assert not out["complete"] and "goal" not in out and out["other_pick"]["test_errors"] == [0.07]
    assert "superseded" not in json.loads(old_table.read_text())  # an incomplete table supersedes nothing
    assert out["rule_applied"] and out["search"]["pick_rule"].startswith("the search's own pick (the finalist")
    kept["summary"]["best_genome"] = "0:3"  # two picks: the rule needs the study, a named pick does not
    (tmp_path / "search.json").write_text(json.dumps(kept))
    with pytest.raises(SystemExit, match="not complete"):
        table3.summarize()
    out = table3.summarize("search")
    assert not out["rule_applied"] and "not applied" in out["search"]["pick_rule"] and out["rows"][0]["key"] == key
    append_record(table3.RECORDS, {"model": "searched", "key": key, "seed": 2, "test_error": 0.065,
                                   "params": 290_000, "macs": 34_000_000})  # fmt: skip
    out = table3.summarize("search")
    pick, resnet, darts = out["rows"]
    assert pick["test_error_median"] == 0.064 and pick["test_error_range"] == [0.063, 0.065] and pick["within_10pct"]
    assert resnet["p_searched_lower"] == pytest.approx(0.05) and resnet["searched_minus_this"] == pytest.approx(-0.003)
    assert darts["p_searched_lower"] == pytest.approx(1.0) and darts["searched_minus_this"] == pytest.approx(0.002)
    assert out["goal"]["met"] is False and out["goal"]["stretch_met"] is False
    old = json.loads(old_table.read_text())
    assert old["rows"] == [1] and old["provenance"] == {"command": "old"}  # its data and provenance stay
    assert old["superseded"]["by"] == "table3_budget.json" and "command" in old["superseded"]["provenance"]
    baselines["DARTS"]["test_errors"] = [0.07, 0.071, 0.069]
    assert table3.summarize("search")["goal"]["met"] is True
    assert json.loads((tmp_path / "table3_budget.json").read_text())["goal"]["met"] is True


def _fidelity_records(study, nets, rng, rung_noise):
    """A record for every planned task: the target's mean is the network's index (with
    seed noise); ``cpu`` is the target plus wide noise; ``rung`` plus ``rung_noise``."""
    truth = {n["key"]: i / len(nets) for i, n in enumerate(nets)}
    noise = {"target": 0.01, "cpu": 1.0, "rung": rung_noise}
    records = []
    for key, setting, seed in study.tasks(nets):
        value = truth[key] + rng.normal(0, noise[setting])
        score = {"test": value} if setting == "target" else {"1000": value, "2500": value}
        records.append(
            {"key": key, "setting": setting, "seed": seed, "status": "ok", "accuracy": score}
            | {"params": 1000 + truth[key], "macs": 5000 - truth[key], "width": 16.0}
        )
    return records


def test_budget_fidelity_decides_only_once_every_planned_task_is_recorded():
    study, summary = load("budget_fidelity"), load("budget_fidelity_summary")
    nets = [{"key": f"net{i}", "kind": "alg3"} for i in range(30)]
    records = _fidelity_records(study, nets, np.random.default_rng(0), rung_noise=0.0)
    full = summary.summarize(records, nets)
    assert full["verdict"] == "complete" and full["tasks"] == {"planned": 30 * 5 + 16, "done": 30 * 5 + 16}
    assert full["decision"]["finalist_round_default"]  # the rung ranks as the target does; cpu is noise
    assert full["kendall"]["rung"]["kendall"] > 0.9 and full["paired"]["rung vs cpu"]["holm_p"] < 0.05
    repeats = [r for r in records if not (r["setting"] == "target" and r["seed"] == 1 and r["key"] == "net3")]
    partial = summary.summarize(repeats, nets)
    assert partial["verdict"] == "partial: 165 of 166 tasks, 30 of 30 networks with every score"
    noisy = summary.summarize(_fidelity_records(study, nets, np.random.default_rng(0), rung_noise=1.0), nets)
    assert noisy["verdict"] == "complete" and not noisy["decision"]["finalist_round_default"]
