"""Shared test helpers: a cheap deterministic stand-in evaluator (operators' tests only)."""

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from tsenas_pymoo import TSENASProblem
from tsenas_pymoo.evaluation.idx import IDX_FILES
from tsenas_pymoo.space.cells import is_reduction

CELL_SCORE = {1: 0.3, 2: 0.2, 3: 0.5, 4: 0.4, 5: 0.2, 6: 0.1, 7: 0.4, 8: 0.3}


class StandInEvaluator:
    """Accuracy from the genome's cells plus a hash of its key; records every genome."""

    def __init__(self):
        self.seen = []

    def __call__(self, genome):
        genome.validate()
        self.seen.append(genome)
        noise = int(hashlib.sha256(genome.key().encode()).hexdigest()[:8], 16) / 2**32
        score = np.mean([CELL_SCORE[c] for c in genome.codes])
        return {
            "accuracy": float(min(1.0, 0.3 + 0.5 * score + 0.1 * noise)),
            "params": 1000.0 * genome.n_cells + 500.0 * sum(map(is_reduction, genome.codes)),
        }


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Each test trains on one torch thread (the runner's thread policy may raise it during
    a test; it is set back before the next). The test networks are tiny: a second OpenMP
    thread buys them little, and with the tests spread over the cores (pytest-xdist) or a
    campaign beside them, threads that spin-wait for a descheduled partner multiplied the
    CPU time several-fold (three modules: 842 CPU s with the default threads, 136 s with
    one)."""
    import torch

    torch.set_num_threads(1)
    yield


@pytest.fixture
def evaluator():
    return StandInEvaluator()


@pytest.fixture
def problem(evaluator):
    return TSENASProblem(evaluator, n_min=3, n_max=8, input_shape=(1, 8, 8))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _shared_root(tmp_path_factory) -> Path:
    """The test session's base folder; under pytest-xdist the one its workers share."""
    import os

    root = tmp_path_factory.getbasetemp()
    return root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root


@pytest.fixture(scope="session")
def tiny_reference(tmp_path_factory):
    """One uninterrupted tiny CLI search (``tests/reliability/harness.py``'s TINY), shared:
    the kill tests compare their killed and resumed runs with it, and the tests of what
    reads a finished run (the CLI's plot, show, export, train; resume's trust check) work
    on copies of it. A search is the slowest thing the tests do, so under pytest-xdist the
    first worker that needs it runs it and the others wait for it (a file lock)."""
    from filelock import FileLock

    from tsenas_pymoo.testing import harness

    root = _shared_root(tmp_path_factory)
    folder, done = root / "tiny_reference", root / "tiny_reference.done"
    with FileLock(str(root / "tiny_reference.lock")):
        if not done.exists():
            harness.reference_run(folder)
            done.touch()
    return folder


@pytest.fixture
def tiny_run(tiny_reference, tmp_path):
    """A copy of the shared finished search, free to change."""
    import shutil

    # SQLite's -wal and -shm files come and go while other tests read the shared reference's
    # archive (its search closed it cleanly, so they hold nothing the archive lacks)
    return Path(shutil.copytree(tiny_reference, tmp_path / "run", ignore=shutil.ignore_patterns("*-shm", "*-wal")))


@pytest.fixture(scope="session")
def digits_small():
    """The digits set, cut to 400 training images (fast real training)."""
    from tsenas_pymoo.evaluation.data import load_dataset

    d = load_dataset("digits")
    d.train_x, d.train_y = d.train_x[:400], d.train_y[:400]
    return d


def _idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    dtype = {0x08: ">u1", 0x0C: ">i4", 0x0D: ">f4"}[code]
    head = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", s) for s in array.shape)
    return head + array.astype(dtype).tobytes()


def _write_idx_set(folder, n_train=100, n_test=20, side=28, compress=False, seed=0):
    """Four MNIST-format files with 10 balanced classes."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        arrays[(split, "images")] = rng.integers(0, 256, (n, side, side), dtype=np.uint8)
        arrays[(split, "labels")] = (np.arange(n) % 10).astype(np.uint8)
    for key, array in arrays.items():
        data = _idx_bytes(array)
        name = IDX_FILES[key] + (".gz" if compress else "")
        (folder / name).write_bytes(gzip.compress(data) if compress else data)
    return arrays


@pytest.fixture
def idx_files():
    """``idx_files.bytes(array)``: one IDX file's bytes; ``idx_files.write(folder, ...)``:
    the four files of a small MNIST-format set (returns the arrays)."""
    from types import SimpleNamespace

    return SimpleNamespace(bytes=_idx_bytes, write=_write_idx_set)


@pytest.fixture(autouse=True, scope="session")
def _signing_key(tmp_path_factory):
    """Every test (and the CLI processes it starts) signs checkpoints with the test
    session's key, never the user's ``~/.config/tsenas`` one. One key for all xdist
    workers: a run one worker made (``tiny_reference``) is resumed by tests on the others."""
    import os

    from tsenas_pymoo.trust import KEY_ENV

    old = os.environ.get(KEY_ENV)
    os.environ[KEY_ENV] = str(_shared_root(tmp_path_factory) / "signing" / "checkpoint.key")
    yield
    if old is None:
        os.environ.pop(KEY_ENV, None)
    else:
        os.environ[KEY_ENV] = old
