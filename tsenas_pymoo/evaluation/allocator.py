"""Let a training process keep the memory it frees (glibc's malloc, Linux).

Dask's nanny starts every worker with ``MALLOC_TRIM_THRESHOLD_=65536`` so that freed
memory goes back to the operating system at once. Setting any of glibc's thresholds also
freezes its mmap threshold at 128 KB, so each tensor above 128 KB (every activation and
gradient of a training step) is a fresh ``mmap`` whose pages the kernel faults in one by
one and a ``munmap`` at its end. Measured (``benchmarks/perf/allocator.py``, results in
``benchmarks/results/allocator.json``: 20 SGD steps of a 5-cell network at 28 px, width 8,
one thread, in a thread as a Dask worker runs its task): 19.7 CPU s under Dask's setting,
half of it in the kernel (4.2 million page faults), against 8.0 s once the process keeps
what it frees (0.14 million): 2.5x; the same losses and weights. :func:`keep_freed_memory` sets the
two thresholds in the running process (``mallopt``), whatever the environment said, so a
worker of a local cluster or of a ``--scheduler`` cluster trains at full speed.
"""

from __future__ import annotations

import ctypes
import functools

#: glibc's ``mallopt`` parameters (malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
#: Blocks up to this size come from the heap: glibc's largest dynamic mmap threshold.
MMAP_THRESHOLD = 32 * 1024 * 1024
#: Free memory at the heap's top is returned to the system above this.
TRIM_THRESHOLD = 256 * 1024 * 1024


@functools.cache
def _libc():
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, musl): their allocators do not have this problem
        return None
    return libc if hasattr(libc, "mallopt") else None


def keep_freed_memory() -> bool:
    """Set glibc's mmap threshold to 32 MB and its trim threshold to 256 MB in this
    process; True when both were set (False where the C library is not glibc)."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def release_freed_memory() -> bool:
    """Hand the memory this process has freed back to the system (glibc's ``malloc_trim``:
    the heap's free pages wherever they lie, not only at its top); True when it released
    some. Between tasks this keeps a long-lived worker's footprint at what it holds: with
    the thresholds above alone, a fidelity-campaign worker grew to 9.5 GB over hours and
    Dask paused it at 80 % of its memory limit."""
    libc = _libc()
    if libc is None or not hasattr(libc, "malloc_trim"):
        return False
    return bool(libc.malloc_trim(0))


def keeping_freed_memory(function, *args):
    """``function(*args)`` after :func:`keep_freed_memory`, then :func:`release_freed_memory`:
    what a Dask task that trains runs (``client.submit(keeping_freed_memory, function,
    *args)``): full speed inside the task, the freed memory returned after it."""
    keep_freed_memory()
    try:
        return function(*args)
    finally:
        release_freed_memory()


__all__ = ["keep_freed_memory", "keeping_freed_memory", "release_freed_memory"]
