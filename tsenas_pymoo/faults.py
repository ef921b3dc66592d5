"""Named fault points for the fault-injection suite (``tests/reliability/``).

``TSENAS_FAULT=NAME:K`` in the environment makes the process kill itself with SIGKILL
the K-th time it reaches the point ``NAME`` (as a power cut or ``kill -9`` would). Unset,
a point costs one dictionary look-up. Points: ``supernet`` (SuperNet trained, before
its export), ``trained`` (a network trained, before its result is archived),
``archived`` (a result archived), ``store`` (during a store update, between units),
``retain`` (before old trained states are deleted), ``log`` (a generation's log line
written, before its checkpoint), ``checkpoint`` (a checkpoint written), ``final``
(the final training done, before its report), ``report`` (the report written, before
the genotype and plots).
"""

from __future__ import annotations

import os
import signal

_hits: dict[str, int] = {}


def point(name: str) -> None:
    spec = os.environ.get("TSENAS_FAULT")
    if not spec:
        return
    target, _, count = spec.partition(":")
    if target != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] == int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)
