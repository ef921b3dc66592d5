"""Named fault points and traced spans for the reliability suite (``tests/reliability/``,
``benchmarks/reliability/``).

``TSENAS_FAULT=NAME:K`` in the environment makes the process kill itself with SIGKILL
the K-th time it reaches the point or span ``NAME`` (as a power cut or ``kill -9``
would); ``NAME:K@S`` (spans only) ends the process S seconds after the K-th entry, by
the kernel, wherever it then is (``setitimer`` with SIGALRM at its default action: no
handler, no Python code runs, as with SIGKILL; a span outside the main thread uses a
timer thread and SIGKILL), so the kill lands inside the span's system calls or, when the
span ended first, after it. Unset, a point costs one dictionary look-up.

Points: ``supernet`` (SuperNet trained, before its export), ``trained`` (a network
trained, before its result is archived), ``archived`` (a result archived), ``store``
(during a store update, between units), ``retain`` (before old trained states are
deleted), ``log`` (a generation's log line written, before its checkpoint),
``checkpoint`` (a checkpoint written), ``final`` (the final training done, before its
report), ``report`` (the report written, before the genotype and plots).

Spans (:func:`span`): ``archive_write`` (one SQLite row), ``weights_write`` (one
safetensors file: a store unit, a trained state, the final weights),
``checkpoint_write`` (the signed checkpoint), ``generation``, ``supernet``, ``final``.
``TSENAS_TRACE=FILE`` appends ``+NAME PID TIME`` on entering a span, ``-NAME PID TIME``
on leaving it and ``=work PID TIME`` when a search starts its work (:func:`mark`), each
line one unbuffered ``write``: after a SIGKILL the spans left open say where it landed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator

_hits: dict[str, int] = {}
_trace: dict[int, int] = {}  # pid -> the trace file's descriptor (a forked worker opens its own)


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _armed(name: str) -> float | None:
    """The delay of a kill set for this arrival at ``name`` (counted), or None."""
    spec = os.environ.get("TSENAS_FAULT")
    if not spec:
        return None
    target, _, rest = spec.partition(":")
    if target != name:
        return None
    count, _, delay = rest.partition("@")
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] != int(count or 1):
        return None
    return float(delay or 0.0)


def _kill_after(seconds: float) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    else:
        timer = threading.Timer(seconds, _kill)
        timer.daemon = True
        timer.start()


def point(name: str) -> None:
    if _armed(name) is not None:
        _kill()


def _write(sign: str, name: str) -> None:
    path = os.environ.get("TSENAS_TRACE")
    if not path:
        return
    fd = _trace.get(os.getpid())
    if fd is None:
        fd = _trace[os.getpid()] = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    os.write(fd, f"{sign}{name} {os.getpid()} {time.time():.6f}\n".encode())


def mark(name: str) -> None:
    """A moment (``=NAME``) in the trace: ``work``, a search starting its work."""
    _write("=", name)


@contextlib.contextmanager
def span(name: str) -> Iterator[None]:
    """Trace the work inside (``TSENAS_TRACE``); a kill set for ``name`` fires inside it."""
    _write("+", name)
    delay = _armed(name)
    if delay == 0.0:
        _kill()
    elif delay is not None:
        _kill_after(delay)
    try:
        yield
    finally:
        _write("-", name)
