"""Run directories from the CLI: what a finished search leaves and the commands that read
it, proxy settings, bad options (kills and resumes: tests/reliability/)."""

import json
import sqlite3
import subprocess
import sys

import pytest
from PIL import Image

from tsenas_pymoo.testing.tiny import search_args

# threads fixed: accuracies depend on the thread count
TINY = search_args(quiet=False, dataset=None, train_subset=None, threads=2)


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory):
    """300 + 60 digits images as a folder of class sub-folders (fast real training)."""
    from sklearn.datasets import load_digits

    root = tmp_path_factory.mktemp("digits_folder")
    digits = load_digits()
    for split, lo, hi in (("train", 0, 300), ("test", 300, 360)):
        for i in range(lo, hi):
            folder = root / split / str(digits.target[i])
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray((digits.images[i] * 15).astype("uint8")).save(folder / f"{i}.png")
    return root


def cli(*args, **kw):
    return subprocess.run(
        [sys.executable, "-m", "tsenas_pymoo.cli", *args], capture_output=True, text=True, timeout=600, **kw
    )


def rows(run_dir):
    with sqlite3.connect(run_dir / "archive.sqlite") as conn:
        return {k: (a, c) for k, a, c in conn.execute("SELECT key, accuracy, created FROM evaluations")}


def test_networks_are_named_by_their_cells_in_the_summary_and_in_show(tiny_run):
    import re

    from tsenas_pymoo.space.genome import genome_from_key, readable

    summary = json.loads((tiny_run / "summary.json").read_text())
    assert summary["best_network"] == readable(genome_from_key(summary["best_genome"]))
    assert re.fullmatch(r"(\w+C\*?\(\d+,\d+\) ?)+", summary["best_network"])
    shown = cli("show", str(tiny_run), "--names", "--top", "3")
    rows = shown.stdout.splitlines()[1:4]
    assert shown.returncode == 0 and all(re.search(r"\w+C\*?\(0,0\)", row) for row in rows), shown.stdout
    assert not any(":" in row for row in rows)  # names, not keys (0:3,0:7,...)
    assert not [p.name for p in tiny_run.iterdir() if p.name.endswith(("-wal", "-shm"))]  # show leaves no files


def test_export_names_every_file_it_writes(tiny_run, tmp_path):
    pytest.importorskip("onnxscript")
    out = tmp_path / "export" / "model.onnx"
    exported = cli("export", str(tiny_run), "--format", "onnx", "--out", str(out))
    assert exported.returncode == 0, exported.stderr[-2000:]
    named = {line.split()[0] for line in exported.stdout.splitlines() if line.strip()}
    assert named == {str(p) for p in out.parent.iterdir()} and str(out) in named  # model.onnx.data too


def test_a_finished_run_has_its_files_and_the_cli_reads_it(tiny_run, tmp_path, small_folder):
    """What a search leaves and the commands that read it (a SIGKILLed run resuming to
    this end without retraining: tests/reliability/test_kill_anywhere.py and test_soak.py)."""
    assert len(list((tiny_run / "store" / "trained").glob("*.safetensors"))) <= 4  # bounded by the population
    assert [json.loads(l)["n_gen"] for l in (tiny_run / "log.jsonl").read_text().splitlines()] == [1, 2, 3, 4, 5, 6]
    for name in ("convergence.png", "trajectory.png"):
        Image.open(tiny_run / name).verify()
    assert (tiny_run / "final" / "weights.safetensors").exists() and (tiny_run / "best_genotype.json").exists()

    plotted = cli("plot", str(tiny_run), "--cells")
    assert plotted.returncode == 0 and "convergence.png" in plotted.stdout and "cells.png" in plotted.stdout
    Image.open(tiny_run / "cells.png").verify()
    shown = cli("show", str(tiny_run), "--top", "3", "--csv", str(tmp_path / "all.csv"))
    archived = rows(tiny_run)
    best = max(a for a, _ in archived.values())
    assert shown.returncode == 0 and f"{best:.4f}" in shown.stdout.splitlines()[1]  # best first
    assert len((tmp_path / "all.csv").read_text().splitlines()) == len(archived) + 1
    exported = cli("export", str(tiny_run), "--format", "pt2", "--out", str(tmp_path / "model.pt2"))
    assert exported.returncode == 0 and (tmp_path / "model.pt2").exists(), exported.stderr[-2000:]
    assert "images in [0, 1]" in exported.stdout
    genotype = json.loads((tiny_run / "best_genotype.json").read_text())
    assert len(genotype["normalization"]["mean"]) == genotype["input_shape"][0]  # one per channel
    assert min(genotype["normalization"]["std"]) > 0
    other = cli("train", str(tiny_run / "best_genotype.json"), "--dataset", str(small_folder), "--epochs", "1")
    assert other.returncode == 2 and "has 3 channels but the genotype was searched on 1" in other.stderr  # RGB PNGs
    trained = cli(
        "train",
        str(tiny_run / "best_genotype.json"),
        "--dataset",
        "digits",
        "--epochs",
        "1",
        "--out",
        str(tmp_path / "post"),
    )
    assert trained.returncode == 0 and "test accuracy" in trained.stdout, trained.stderr[-2000:]
    assert (tmp_path / "post" / "weights.safetensors").exists()


def test_proxy_settings_are_recorded_and_train_uses_the_full_data(tmp_path, idx_files):
    idx_files.write(tmp_path / "data", n_train=300, n_test=40, side=16)
    run = tmp_path / "run"
    done = cli(
        "search",
        "--dataset",
        "idx",
        "--root",
        str(tmp_path / "data"),
        "--train-subset",
        "200",
        "--resolution",
        "8",
        "--out",
        str(run),
        *TINY,
        "--stage1-gens",
        "2",
        "--stage2-gens",
        "1",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "proxy data     idx: 200 training images at 8x8" in done.stdout
    config = json.loads((run / "config.json").read_text())
    assert (config["train_subset"], config["resolution"]) == (200, 8)
    genotype = json.loads((run / "best_genotype.json").read_text())
    searched = genotype["search_data"]
    assert (searched["dataset"], searched["train_subset"], searched["resolution"]) == ("idx", 200, 8)
    assert searched["input_shape"] == genotype["input_shape"] == [1, 8, 8] and searched["train"] == 180
    assert genotype["final"]["data"]["resolution"] == 8 and genotype["final"]["augment"]["flip"] is False

    trained = cli(
        "train",
        str(run / "best_genotype.json"),
        "--root",
        str(tmp_path / "data"),
        "--epochs",
        "1",
        "--out",
        str(tmp_path / "post"),
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert "Dataset('idx', input (1, 16, 16), 10 classes, train 270, val 30, test 40)" in trained.stdout
    report = json.loads((tmp_path / "post" / "genotype.json").read_text())
    assert report["input_shape"] == [1, 16, 16] and report["report"]["data"]["train_subset"] is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["search", "--pop-size", "0"], "an integer >= 1"),
        (["search", "--resume", "/nonexistent/run"], "no config.json"),
        (["search", "--fine-size", "9", "--pop-size", "4", "--out", "{tmp}/x"], "fine_size=9"),
        (["train", "/nonexistent/genotype.json"], "does not exist"),
        (["plot", "/nonexistent/run"], "no log.jsonl"),
        (["search", "--dataset", "/nonexistent/folder", "--out", "{tmp}/y"], "no folder"),
        (["search", "--train-subset", "0"], "an integer >= 1"),
        (["search", "--augment", "rotate", "--out", "{tmp}/z"], "augment='rotate': unknown"),
        (["search", "--resolution", "9", "--out", "{tmp}/w"], "resolution=9; rule: between 1 and the image size 8"),
        (["search", "--dataset", "idx", "--out", "{tmp}/v"], "dataset 'idx': pass root=FOLDER"),
    ],
)
def test_bad_options_exit_2_with_one_line(tmp_path, args, message):
    proc = cli(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_help_for_every_command():
    for command in ([], ["search"], ["train"], ["plot"], ["describe"]):
        assert cli(*command, "--help").returncode == 0


def test_a_search_that_cannot_load_its_data_leaves_no_config(tmp_path):
    from tsenas_pymoo.config import SearchConfig
    from tsenas_pymoo.run import SearchRun

    run = SearchRun(tmp_path / "run", SearchConfig(dataset="idx", root=str(tmp_path / "missing")))
    with pytest.raises(FileNotFoundError):
        run.run()
    assert not (tmp_path / "run" / "config.json").exists()  # the same --out can be tried again


def test_two_searches_in_one_directory_are_refused(tmp_path):
    from filelock import FileLock

    from tsenas_pymoo.config import SearchConfig
    from tsenas_pymoo.run import SearchRun

    run_dir = tmp_path / "run"
    run = SearchRun(run_dir, SearchConfig())
    with FileLock(str(run_dir / ".run.lock")):  # another search holds the folder
        (run_dir / ".run.pid").write_text("4242")
        with pytest.raises(ValueError, match=r"in use by another tsenas search \(pid 4242\)"):
            run.run()
    assert not (run_dir / "config.json").exists()  # the refused one wrote nothing


def test_a_config_written_before_a_default_changed_resumes_as_it_ran(tmp_path):
    from dataclasses import asdict

    from tsenas_pymoo.config import SearchConfig

    assert SearchConfig().mutate_offspring is True  # chosen on development seeds (README)
    old = {k: v for k, v in asdict(SearchConfig()).items() if k != "mutate_offspring"}
    (tmp_path / "config.json").write_text(json.dumps(old))
    assert SearchConfig.from_json(tmp_path / "config.json").mutate_offspring is False
    (tmp_path / "config.json").write_text(json.dumps(dict(old, mutate_offspring=True)))
    assert SearchConfig.from_json(tmp_path / "config.json").mutate_offspring is True
    assert SearchConfig().inherit_warm_counts == "auto"  # 0.6.0 (docs/inheritance.md)
    older = {k: v for k, v in old.items() if k != "inherit_warm_counts"}
    (tmp_path / "config.json").write_text(json.dumps(older))
    assert SearchConfig.from_json(tmp_path / "config.json").warm_start().counts == "inherited"


def test_after_generation_sees_every_checkpointed_generation_and_is_not_checkpointed(tmp_path):
    from tsenas_pymoo.config import SearchConfig
    from tsenas_pymoo.run import SearchRun

    seen = []

    def hook(algorithm, evaluator):
        assert (tmp_path / "run" / "checkpoint.pkl").exists()
        seen.append((len(algorithm.data["generations"]), len(evaluator.archive)))

    config = SearchConfig(pop_size=2, fine_size=1, stage1_gens=1, stage2_gens=1, epochs=1, supernet_epochs=0)
    config.final_epochs, config.init_channels, config.device, config.train_subset = 1, 2, "cpu", 200
    SearchRun(tmp_path / "run", config, progress=False, after_generation=hook).run()
    assert [g for g, _ in seen] == [1, 2, 3] and seen[0][1] >= 2
    assert b"hook" not in (tmp_path / "run" / "checkpoint.pkl").read_bytes()


def test_the_old_runner_path_still_works_with_a_deprecation_warning():
    import importlib
    import sys

    from tsenas_pymoo.run import SearchRun, run_search

    sys.modules.pop("tsenas_pymoo.runner", None)
    with pytest.warns(DeprecationWarning, match="tsenas_pymoo.run"):
        old = importlib.import_module("tsenas_pymoo.runner")
    assert old.SearchRun is SearchRun and old.run_search is run_search
