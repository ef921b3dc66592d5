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


def keeping_freed_memory(function, *args):
    """``function(*args)`` after :func:`keep_freed_memory`: what a Dask task that trains
    runs (``client.submit(keeping_freed_memory, function, *args)``)."""
    keep_freed_memory()
    return function(*args)


__all__ = ["keep_freed_memory", "keeping_freed_memory"]
