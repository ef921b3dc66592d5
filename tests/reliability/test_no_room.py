"""A run directory that cannot be written (read-only) or fills up mid-run: one line naming
the folder and the need, nothing half-written, and the search resumes once there is room."""

import errno
import json
import os

import pytest

from tsenas_pymoo.config import SearchConfig
from tsenas_pymoo.run import SearchRun
from tsenas_pymoo.testing.tiny import search_settings

SMALL = search_settings(stage1_gens=2, stage2_gens=1, supernet_epochs=0, seed=5, device="cpu")


def test_read_only_run_directory_at_start_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    run = tmp_path / "run"
    run.mkdir()
    real_open = os.open

    def read_only(path, *args, **kwargs):
        if str(path).startswith(str(run)):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(
        ValueError,
        match=rf"run directory {run}: cannot write \(Read-only file system\); rule: a "
        r"writable folder with free space",
    ):
        SearchRun(run, SearchConfig(**SMALL), progress=False).run()
    monkeypatch.undo()
    assert list(run.iterdir()) == []


def test_disk_full_mid_run_keeps_the_last_checkpoint_and_resumes_to_the_same_end(tmp_path, monkeypatch):
    whole = SearchRun(tmp_path / "whole", SearchConfig(**SMALL), progress=False).run()
    run = tmp_path / "run"
    real_fsync = os.fsync

    def full_after_first_checkpoint(fd):
        if (run / "checkpoint.pkl").exists():
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_after_first_checkpoint)
    with pytest.raises(
        ValueError,
        match=rf"run directory {run}: cannot write \(No space left on device.*"
        rf"resume with `tsenas search --resume {run}`",
    ):
        SearchRun(run, SearchConfig(**SMALL), progress=False).run()
    monkeypatch.undo()
    first = (run / "checkpoint.pkl").read_bytes()
    assert not [p.name for p in run.rglob("*.tmp")]  # nothing half-written
    resumed = SearchRun.resume(run, progress=False).run()
    assert (run / "checkpoint.pkl").read_bytes() != first
    assert resumed["best_genome"] == whole["best_genome"]
    assert resumed["best_val_accuracy"] == whole["best_val_accuracy"]

    def log(folder):
        return [
            {k: v for k, v in json.loads(line).items() if k not in ("archive_hits", "trained")}
            for line in (folder / "log.jsonl").read_text().splitlines()
        ]

    assert log(run) == log(tmp_path / "whole")
