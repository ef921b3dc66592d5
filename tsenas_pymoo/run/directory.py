"""The run directory's format and guards: its version stamp, what a resume may change,
the lock (one search per folder), the signed checkpoint and config.json's thread record.

The folder holds ``config.json``, ``archive.sqlite`` (every evaluation: the source of
truth), ``store/`` (the weight store), ``checkpoint.pkl`` (the algorithm after the last
finished generation, pymoo's documented dill way, signed with this user's key:
:mod:`~tsenas_pymoo.trust`), ``log.jsonl`` (one line per generation), and at the end
``best_genotype.json``, ``final/`` (weights) and the plots.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import os
import re
import sqlite3
from pathlib import Path

import dill
from pymoo.core.algorithm import Algorithm

from .. import __version__
from ..config import SearchConfig
from ..rundir import atomic_write, clean_temporaries, read_text, refuse_links
from ..trust import sign_manifest, verify

#: The run-directory format (config.json, checkpoint, archive); a newer one is refused.
#: 2 (tsenas 0.4): the checkpoint is a signed envelope (trust.py); a format-1 run
#: directory resumes after `tsenas trust`.
RUN_DIR_FORMAT = 2


def check_run_dir_format(config_path: Path) -> None:
    try:
        data = json.loads(read_text(config_path))
    except ValueError as err:
        raise ValueError(f"{config_path}: not JSON ({err}); rule: a config.json written by tsenas search") from None
    _refuse_newer(config_path.parent, data.get("format", 1), data.get("tsenas_version"))


def _refuse_newer(what, fmt, version) -> None:
    """A run directory or checkpoint of a newer format is refused, both versions named."""
    if isinstance(fmt, bool) or not isinstance(fmt, int):
        raise ValueError(f"{what}: format={fmt!r}; rule: a whole number, as tsenas writes it")
    if int(fmt) > RUN_DIR_FORMAT:
        raise ValueError(
            f"{what} was written by tsenas {version or '?'} (run-directory format {fmt}); this is "
            f"tsenas {__version__} (format {RUN_DIR_FORMAT}); rule: resume it with that version"
        )


#: Errors that mean the run directory cannot take more data (read-only, full, no quota).
_NO_ROOM = {errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM}
_NO_ROOM_SQLITE = re.compile(r"disk is full|readonly database|disk I/O error")


#: Settings a resume may change: where and how the search runs, not what it computes.
RESUME_FREE = ("threads", "wait_policy", "workers", "workers_per_device", "scheduler", "device", "root", "download")


def search_settings(config: SearchConfig) -> dict:
    """The settings that decide what a search computes (all but RESUME_FREE), as JSON has them."""
    return json.loads(json.dumps({k: v for k, v in dataclasses.asdict(config).items() if k not in RESUME_FREE}))


def _refuse_changed(config_path: Path, ran: dict | None, config: SearchConfig) -> None:
    """One line when config.json gives a setting other than the one the checkpointed search
    ran with (checkpoints before 0.7.1 record none; a field one side lacks is not compared)."""
    if not isinstance(ran, dict):
        return
    now = search_settings(config)
    changed = sorted(k for k in set(ran) & set(now) if ran[k] != now[k])
    if changed:
        k = changed[0]
        raise ValueError(
            f"{config_path}: {k}={repr(now[k])[:80]}, but the checkpointed search ran with {k}={repr(ran[k])[:80]}; "
            f"rule: a resume keeps the settings its search ran with (only {', '.join(RESUME_FREE)} may change): "
            f"start a new --out to change them"
        )


def saved_config(run_dir: Path, config: SearchConfig) -> dict:
    """config.json as written, or the config's settings before it is."""
    path = run_dir / "config.json"
    return json.loads(read_text(path)) if path.is_file() else dataclasses.asdict(config)


def record_threads(run_dir: Path, config: SearchConfig, **policies) -> None:
    """The thread policies in force, written into config.json beside the settings (and the
    version stamp), the manifest signed anew."""
    data = dict(saved_config(run_dir, config), tsenas_version=__version__, format=RUN_DIR_FORMAT)
    before = data.get("thread_policy")
    data["thread_policy"] = dict(before if isinstance(before, dict) else {}, **policies)
    atomic_write(run_dir / "config.json", json.dumps(data, indent=1).encode())
    sign_manifest(run_dir)


def load_checkpoint(run_dir: Path, config: SearchConfig) -> Algorithm:
    """The checkpointed algorithm, unpickled only once its signature holds, of a format this
    version reads and with the settings ``config`` gives."""
    path = run_dir / "checkpoint.pkl"
    payload = verify(path.read_bytes(), path, run_dir)  # before unpickling
    try:
        algorithm = dill.loads(payload)
    except Exception as err:
        raise ValueError(
            f"{path} cannot be read ({type(err).__name__}: {err}); rule: delete "
            f"it and --resume again: the search restarts and every network already trained is "
            f"answered from archive.sqlite"
        ) from None
    if not isinstance(algorithm, Algorithm):
        raise ValueError(
            f"{path} holds a {type(algorithm).__name__}, not a TSENAS search; "
            f"rule: a checkpoint written by tsenas search"
        )
    stamp = algorithm.data.get("tsenas") or {}
    _refuse_newer(path, stamp.get("format", 1), stamp.get("version"))
    _refuse_changed(run_dir / "config.json", stamp.get("settings"), config)
    return algorithm


@contextlib.contextmanager
def locked(run_dir: Path):
    """Hold the run directory for one search (a second is refused in one line), after the
    folder is checked for links and cleared of a killed write's temporaries; a full disk or
    a read-only folder while inside is one line naming the resume."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(run_dir / ".run.lock"), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        pid = (run_dir / ".run.pid").read_text().strip() if (run_dir / ".run.pid").exists() else "?"
        raise ValueError(
            f"run directory {run_dir} is in use by another tsenas search (pid {pid}); "
            f"rule: one search per run directory"
        ) from None
    except OSError as err:  # a read-only folder: not even the lock file can be made
        raise ValueError(
            f"run directory {run_dir}: cannot write ({err.strerror}); rule: a writable folder "
            f"with free space for the archive, weight store and checkpoints"
        ) from None
    try:
        refuse_links(run_dir)  # again, now that no other tsenas search can change it
        clean_temporaries(run_dir)  # what a kill between a write and its rename left
        atomic_write(run_dir / ".run.pid", str(os.getpid()).encode())  # also proves the folder writable
        yield
    except (OSError, sqlite3.OperationalError) as err:
        if getattr(err, "errno", None) not in _NO_ROOM and not _NO_ROOM_SQLITE.search(str(err)):
            raise
        why = f"{err.strerror}: {err.filename or '?'}" if isinstance(err, OSError) else f"archive: {err}"
        raise ValueError(
            f"run directory {run_dir}: cannot write ({why}); rule: "
            f"a writable folder with free space for the archive, weight store and checkpoints; "
            f"every finished generation is checkpointed, so make room and resume with "
            f"`tsenas search --resume {run_dir}`"
        ) from None
    finally:
        lock.release()
