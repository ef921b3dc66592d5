"""How many torch threads each training process uses, and how its idle OpenMP threads wait.

torch's CPU kernels run on an OpenMP team. With GNU OpenMP's default wait policy an idle
thread spins for a while before it sleeps: the fastest choice on an idle machine, but on
a machine whose cores another process holds, the spinning threads take turns with the
threads that have work, and a search slows several-fold (8.5x beside a 2-thread load on
2 cores; see README "Shared machines"). ``OMP_WAIT_POLICY=PASSIVE`` makes idle threads
sleep at once: about 12 % slower on an idle machine, far faster on a loaded one.

:func:`choose_policy` picks, per training process, ``threads`` = the cores this process
may use (``os.sched_getaffinity``) divided by the processes that train at once, and the
wait policy: ``passive`` when the cores are oversubscribed (threads x processes > cores)
or already busy with other work when the search starts, else the library default. On a
busy machine it also takes only the free cores (at least one thread; why, measured:
docs/operations.md, shared machines).
GNU OpenMP reads the wait policy once, when torch is loaded, so :func:`apply_policy`
sets it in the environment and takes effect only before ``import torch`` (the CLI does
this first; Dask workers get it in their environment at spawn). The thread count can be
set at any time.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import asdict, dataclass

log = logging.getLogger(__name__)

#: Accepted values of ``wait_policy``: "auto" chooses; "default" leaves OpenMP's own.
WAIT_POLICIES = ("auto", "default", "passive", "active")
#: Busy cores (of other processes) at start from which the machine counts as loaded.
LOADED_CORES = 0.5


@dataclass(frozen=True)
class ThreadPolicy:
    """The chosen settings and why: recorded in ``config.json``. ``wait="default"``
    leaves the environment's (normally OpenMP's own) wait policy as it is."""

    threads: int
    wait: str  # "default", "passive" or "active"
    cores: int
    processes: int
    busy_cores: float | None
    reason: str

    def env(self) -> dict[str, str]:
        """Environment for a process that will import torch (a Dask worker at spawn)."""
        env = {"OMP_NUM_THREADS": str(self.threads), "MKL_NUM_THREADS": str(self.threads)}
        if self.wait != "default":
            env["OMP_WAIT_POLICY"] = self.wait.upper()
        return env

    def to_dict(self) -> dict:
        return asdict(self)


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _cpu_times() -> tuple[float, float] | None:
    """(busy, total) jiffies of the whole machine from /proc/stat, or None."""
    try:
        with open("/proc/stat") as handle:
            values = [float(v) for v in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0.0)  # idle + iowait
    return sum(values) - idle, sum(values)


def busy_cores(seconds: float = 0.3) -> float | None:
    """Cores kept busy by other processes over ``seconds`` (this one is idle meanwhile);
    the 1-minute load average where /proc/stat is missing."""
    first = _cpu_times()
    if first is None:
        try:
            return float(os.getloadavg()[0])
        except (AttributeError, OSError):
            return None
    own = time.process_time()
    time.sleep(seconds)
    second = _cpu_times()
    busy, total = second[0] - first[0], second[1] - first[1]
    if total <= 0:
        return 0.0
    machine_cores = os.cpu_count() or 1
    own_cores = (time.process_time() - own) / seconds
    return max(0.0, busy / total * machine_cores - own_cores)


def choose_policy(threads: int | None = None, wait_policy: str = "auto", processes: int = 1) -> ThreadPolicy:
    """``threads`` (None: cores / processes) and ``wait_policy`` ("auto" decides, see the
    module doc) for each of ``processes`` training processes."""
    if wait_policy not in WAIT_POLICIES:
        raise ValueError(f"wait_policy={wait_policy!r}; rule: one of {', '.join(WAIT_POLICIES)}")
    if threads is not None and int(threads) < 1:
        raise ValueError(f"threads={threads}; rule: at least 1, or None for cores / processes")
    cores, processes = usable_cores(), max(1, int(processes))
    n = int(threads) if threads else max(1, cores // processes)
    busy = None
    if wait_policy != "auto":
        wait, reason = wait_policy, "asked"
    elif os.environ.get("OMP_WAIT_POLICY", "").lower() in ("passive", "active"):
        wait, reason = os.environ["OMP_WAIT_POLICY"].lower(), "OMP_WAIT_POLICY set in the environment"
    elif n * processes > cores:
        wait, reason = "passive", f"{processes} process(es) x {n} threads > {cores} cores"
    else:
        busy = busy_cores()
        loaded = busy is not None and busy >= LOADED_CORES
        wait = "passive" if loaded else "default"
        reason = (
            f"{busy:.1f} cores busy with other work at start"
            if loaded
            else f"cores idle at start ({busy if busy is None else round(busy, 2)} busy)"
        )
        if loaded and not threads:  # take the free cores only
            n = max(1, int(cores - busy + 0.5) // processes)
    return ThreadPolicy(n, wait, cores, processes, None if busy is None else round(busy, 3), reason)


def recorded_threads(config: dict, role: str = "driver") -> int | None:
    """The thread count a run directory's ``config.json`` fixed: ``threads`` when the user
    set it, else what the first start chose for ``role`` ("driver" or "workers"). A resumed
    search reuses it, since CPU float sums (and so accuracies) depend on the thread count."""
    if not isinstance(config, dict):
        raise ValueError(f"config.json holds a {type(config).__name__}; rule: an object written by tsenas search")
    policy = config.get("thread_policy") or {}
    entry = policy.get(role) if isinstance(policy, dict) else None
    threads = config.get("threads") or (entry.get("threads") if isinstance(entry, dict) else None)
    if threads is not None and not (
        isinstance(threads, int) and not isinstance(threads, bool) and 1 <= threads <= 4096
    ):
        raise ValueError(f"config.json: threads={threads!r}; rule: an integer from 1 to 4096, or null")
    return threads


#: The policy applied in this process (by the CLI, :func:`set_threads` or an evaluator), if any.
_applied: dict | None = None


def apply_policy(policy: ThreadPolicy) -> dict:
    """Set the policy in this process; returns it with ``before_torch``: whether the wait
    policy could still take effect (torch not yet imported). When it could not and the
    policy wants idle threads to sleep, one warning line says so."""
    global _applied
    before_torch = "torch" not in sys.modules
    if before_torch:
        os.environ.update(policy.env())
    import torch

    torch.set_num_threads(policy.threads)
    in_effect = policy.wait if before_torch else os.environ.get("OMP_WAIT_POLICY", "default").lower()
    if policy.wait == "passive" and in_effect != "passive" and policy.threads > 1:
        log.warning(
            "torch was imported before the thread policy was set, so its %d idle OpenMP threads spin "
            "(%s); rule: call tsenas_pymoo.set_threads() before importing torch, or set OMP_WAIT_POLICY=PASSIVE",
            policy.threads,
            policy.reason,
        )
    _applied = dict(policy.to_dict(), before_torch=before_torch, wait_in_effect=in_effect)
    return _applied


def set_threads(threads: int | None = None, wait_policy: str = "auto") -> dict:
    """The CLI's thread protection for Python scripts: choose (:func:`choose_policy`) and
    apply this process's torch threads and OpenMP wait policy. Call it before importing
    torch (the wait policy is read once, when torch loads); ``threads`` None takes the
    cores free at the call, ``wait_policy`` one of :data:`WAIT_POLICIES`. Returns what was
    applied, and why. A ``TorchEvaluator`` built without it applies the default itself."""
    return apply_policy(choose_policy(threads, wait_policy))


def protect_threads() -> dict | None:
    """What an evaluator calls when built: the default policy, unless one was applied in
    this process already or the threads were chosen some other way (``OMP_NUM_THREADS``,
    or ``torch.set_num_threads`` to other than the cores); returns what it applied."""
    if _applied is not None or "OMP_NUM_THREADS" in os.environ:
        return None
    if "torch" in sys.modules:
        import torch

        if torch.get_num_threads() != usable_cores():
            return None  # set by the caller: theirs to keep
    applied = set_threads()
    log.info(
        "torch threads: %d, idle threads wait: %s (%s)",
        applied["threads"],
        applied["wait_in_effect"],
        applied["reason"],
    )
    return applied


__all__ = [
    "WAIT_POLICIES",
    "ThreadPolicy",
    "apply_policy",
    "busy_cores",
    "choose_policy",
    "protect_threads",
    "recorded_threads",
    "set_threads",
    "usable_cores",
]
