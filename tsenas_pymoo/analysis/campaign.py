"""A resumable campaign: tasks run in priority order on Dask worker processes (one thread
each, as the search's workers run), each result handed back as it ends so a study writes
as it goes; records as JSON lines that a kill cannot corrupt beyond one skipped line."""

from __future__ import annotations

import itertools
import json
from pathlib import Path


def append_record(path: Path, record: dict) -> None:
    """One record as a line of a resumable campaign's JSON-lines file (see ``read_records``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.write(json.dumps(record) + "\n")


def read_records(path: Path) -> list[dict]:
    """The records of a resumable campaign's JSON-lines file (none when it does not exist);
    a line cut by a kill is skipped, so its task runs again."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def spread(values) -> dict | None:
    """Median and quartiles of a campaign's per-seed values (None for none)."""
    import numpy as np

    if not len(values):
        return None
    v = np.asarray(values, float)
    return {"median": float(np.median(v)), "q1": float(np.percentile(v, 25)), "q3": float(np.percentile(v, 75))}


def run_tasks(function, tasks: list[tuple], workers: int, on_result, desc: str = "tasks", follow_up=None) -> None:
    """``function(*task)`` for every task, in order of priority, each result handed to
    ``on_result(result, bar)`` as it ends (so a campaign writes as it goes). ``workers``:
    Dask worker processes with one thread each (as the search's workers run); 0 or 1: in
    this process. ``follow_up(result)``: the tasks ``(function, *args)`` a result makes
    possible, run in the same pool after those already queued (a campaign's next stage
    starts as its input lands, so no core waits for a stage's last task)."""
    from tqdm.auto import tqdm

    queue = [(function, *t) for t in tasks]
    with tqdm(total=len(queue), desc=desc, unit="task") as bar:

        def finished(result) -> list[tuple]:
            on_result(result, bar)
            bar.update(1)
            more = list(follow_up(result)) if follow_up else []
            bar.total += len(more)
            bar.refresh()
            return more

        if workers <= 1:
            while queue:
                fn, *args = queue.pop(0)
                queue += finished(fn(*args))
            return
        from distributed import Client, LocalCluster, as_completed

        from tsenas_pymoo.evaluation.allocator import keeping_freed_memory  # Dask's malloc setting doubles CPU

        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
            Client(cluster) as client,
        ):
            order = itertools.count()

            def submit(fn, *args):
                return client.submit(keeping_freed_memory, fn, *args, pure=False, priority=-next(order))

            pending = as_completed([submit(*t) for t in queue])
            for future in pending:
                for task in finished(future.result()):
                    pending.add(submit(*task))
