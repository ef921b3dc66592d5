"""A training process keeps the memory it frees, whatever malloc setting Dask gave it."""

import os
import subprocess
import sys

import pytest

PROBE = """
import resource, sys
import torch
from tsenas_pymoo.evaluation.allocator import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "kept" else None
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(200):
    torch.empty(1 << 18).fill_(1.0)  # 1 MB, freed at once: a training step's activations in small
print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_freed_blocks_are_reused_instead_of_mapped_anew_under_dasks_malloc_setting():
    """Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536: each 1 MB block is
    then a fresh mmap whose 256 pages fault in (about 51,000 faults for 200 blocks); once
    the process keeps what it frees, the blocks are reused."""
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}
    faults = {}
    for mode in ("dask", "kept"):
        out = subprocess.run([sys.executable, "-c", PROBE, mode], env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        flag, faults[mode] = out.stdout.split()
        faults[mode] = int(faults[mode])
    assert flag == "True"
    assert faults["dask"] > 40_000 and faults["kept"] < faults["dask"] / 10, faults


RELEASE = """
import ctypes, sys
from tsenas_pymoo.evaluation.allocator import keeping_freed_memory

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

def churn():  # many 1 MB blocks held at once, one kept at the end: the heap cannot shrink from its top
    blocks = [ctypes.create_string_buffer(1 << 20) for _ in range(300)]
    keep = blocks[-1]
    del blocks
    return keep, rss_mb()

if sys.argv[1] == "task":
    keep, during = keeping_freed_memory(churn)
else:
    from tsenas_pymoo.evaluation.allocator import keep_freed_memory
    keep_freed_memory()
    keep, during = churn()
print(during, rss_mb())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_a_task_hands_its_freed_memory_back_when_it_ends():
    """Under the kept thresholds a freed heap stays with the process (a long-lived worker
    grows); ``keeping_freed_memory`` trims it after the task."""
    after = {}
    for mode in ("task", "kept"):
        out = subprocess.run([sys.executable, "-c", RELEASE, mode], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        during, after[mode] = map(float, out.stdout.split())
        assert during > 250
    assert after["kept"] > 250 and after["task"] < after["kept"] - 200, after
