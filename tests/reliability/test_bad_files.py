"""Bad files in a run directory: each gets one line and exit code 2, no traceback, and
nothing valid is deleted."""

import dataclasses
import json
import sqlite3
import subprocess
import sys

import dill
import pytest

from tsenas_pymoo.config import SearchConfig
from tsenas_pymoo.trust import sign_manifest


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "tsenas_pymoo.cli", *args], capture_output=True, text=True, timeout=300
    )


def one_line_error(proc, text):
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr and text in lines[0], proc.stderr


@pytest.fixture
def run_dir(tmp_path):
    """A run directory as a search leaves it after its first generation (small settings)."""
    folder = tmp_path / "run"
    folder.mkdir()
    config = dataclasses.asdict(SearchConfig(supernet_epochs=0, pop_size=4, fine_size=2, epochs=1))
    (folder / "config.json").write_text(json.dumps(dict(config, format=1, tsenas_version="0.2.0")))
    sign_manifest(folder)  # its owner trusts it: what is inside is what fails
    return folder


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "cannot be read"),
        (b"\x80\x04garbage", "cannot be read"),
        (dill.dumps({"not": "a search"}), "holds a dict, not a TSENAS search"),
    ],
)
def test_unreadable_checkpoint(run_dir, content, message):
    from tsenas_pymoo.trust import seal

    content = seal(content)  # signed by this user, so that what is inside is what fails
    (run_dir / "checkpoint.pkl").write_bytes(content)
    one_line_error(cli("search", "--resume", str(run_dir)), message)
    assert (run_dir / "checkpoint.pkl").read_bytes() == content  # left as it was


def test_corrupt_archive(run_dir):
    (run_dir / "archive.sqlite").write_bytes(b"this is not sqlite" * 100)
    one_line_error(cli("show", str(run_dir)), "is not a readable archive")
    one_line_error(cli("search", "--resume", str(run_dir)), "is not a readable archive")
    assert (run_dir / "archive.sqlite").exists()


def test_archive_and_run_directory_from_a_newer_version(run_dir, tmp_path):
    with sqlite3.connect(tmp_path / "a.sqlite") as conn:
        conn.execute("PRAGMA user_version = 99")
    from tsenas_pymoo.evaluation.archive import Archive

    with pytest.raises(ValueError, match="archive format 99"):
        Archive(tmp_path / "a.sqlite")
    data = json.loads((run_dir / "config.json").read_text())
    (run_dir / "config.json").write_text(json.dumps(dict(data, format=7, tsenas_version="9.0")))
    sign_manifest(run_dir)
    one_line_error(cli("search", "--resume", str(run_dir)), "written by tsenas 9.0 (run-directory format 7)")


def test_a_checkpoint_is_only_loaded_by_resume(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "checkpoint.pkl").write_bytes(dill.dumps({"would": "run code"}))
    one_line_error(cli("search", "--out", str(out)), "only loaded by --resume")


def test_resume_refuses_other_settings(run_dir):
    one_line_error(cli("search", "--resume", str(run_dir), "--epochs", "5"), "drop --epochs")


def test_genotype_files_that_cannot_be_a_network(tmp_path):
    from tsenas_pymoo import NetworkGenome, save_genotype

    path = save_genotype(tmp_path / "g.json", NetworkGenome.from_cells([1, 5, 1, 5]), (1, 8, 8), 10, 4)
    data = json.loads(path.read_text())
    cases = {
        "notjson.json": "{cells: oops",
        "format.json": json.dumps(dict(data, format="other/9")),
        "shape.json": json.dumps(dict(data, input_shape=[1, 2, 2])),
    }  # 2 reductions need 4x4
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
    one_line_error(cli("describe", str(tmp_path / "notjson.json")), "not JSON")
    one_line_error(cli("describe", str(tmp_path / "format.json")), "'format' is not")
    one_line_error(cli("describe", str(tmp_path / "shape.json")), "reduction cells; rule: at most 1")
    one_line_error(cli("train", str(tmp_path / "missing.json")), "does not exist")
