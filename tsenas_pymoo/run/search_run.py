"""A whole search in one run directory, with resume after any interruption
(``SearchRun``): the directory and its guards are :mod:`.directory`, what is built from
the config :mod:`.build`, what the search shows :mod:`.progress`, how it ends :mod:`.finish`;
this module is the loop between them.

Resume re-loads the checkpoint and runs on: the generation that was cut off is made again
from the same random state, so its offspring are the same, and those already trained are
answered by the archive.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import dill

from .. import __version__, faults
from ..config import SearchConfig
from ..rundir import atomic_write, refuse_links
from ..search.budget import supernet_record
from ..threads import apply_policy, choose_policy, recorded_threads
from ..trust import seal, sign_manifest, verify_manifest
from .build import attach, make_algorithm, make_evaluator, make_runner
from .directory import (
    RUN_DIR_FORMAT,
    check_run_dir_format,
    load_checkpoint,
    locked,
    record_threads,
    saved_config,
    search_settings,
)
from .finish import finish
from .progress import SearchBar, plan_lines, tidy_output

log = logging.getLogger(__name__)


class SearchRun:
    """One run directory: ``SearchRun(run_dir, config).run()``; ``SearchRun.resume(dir)``.

    ``after_generation(algorithm, evaluator)``: called after each generation is
    checkpointed (a study's snapshot, say); it is not part of the checkpoint, so pass it
    again on resume. It must not change the algorithm (work on a ``copy.deepcopy``)."""

    def __init__(
        self,
        run_dir: str | Path,
        config: SearchConfig | None = None,
        progress: bool = True,
        verbose: bool = False,
        thread_policy: dict | None = None,
        after_generation=None,
    ):
        self.dir = Path(run_dir)
        try:  # matplotlib, SQLite and JSON need the path as text: refused now, not after the training
            str(self.dir.resolve()).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"run directory {self.dir!r}: not valid UTF-8; rule: a path of UTF-8 text") from None
        self.after_generation = after_generation
        self._client = None  # a Dask client while the search runs on workers
        self.progress, self.verbose = progress, verbose
        self.thread_policy = thread_policy  # as applied by the CLI before torch loaded; else set in run()
        config_path = self.dir / "config.json"
        refuse_links(self.dir)  # before any entry is read
        self.resuming = config is None
        if config is None:
            if not config_path.is_file():
                raise FileNotFoundError(
                    f"run directory {self.dir}: no config.json; rule: resume a folder that `tsenas search --out` made"
                )
            verify_manifest(self.dir)  # before a setting is read: they steer data, devices, clusters
            check_run_dir_format(config_path)
            config = SearchConfig.from_json(config_path)
        elif self.checkpoint_path.exists():
            raise ValueError(
                f"run directory {self.dir} holds a checkpoint.pkl but no config.json; rule: use "
                f"another --out (a checkpoint is only loaded by --resume, from a folder you trust)"
            )
        self.config = config.validate()
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ValueError(
                f"run directory {self.dir}: cannot be made ({err.strerror}); rule: --out a folder you can write"
            ) from None
        # config.json is written once the data set has loaded (run()): a search that could
        # not start leaves no config.json, and the same --out can simply be tried again

    @classmethod
    def resume(cls, run_dir: str | Path, **kwargs) -> SearchRun:
        """Continue the search in ``run_dir``. ``checkpoint.pkl`` is unpickled (dill) only
        when its signature proves this user wrote it (:mod:`tsenas_pymoo.trust`); else
        one line names ``tsenas trust RUN_DIR``."""
        return cls(run_dir, None, **kwargs)

    @property
    def checkpoint_path(self) -> Path:
        return self.dir / "checkpoint.pkl"

    def run(self) -> dict[str, Any]:
        """Run (or continue) the search; returns the summary also written to summary.json.
        One search at a time per run directory: a second one is refused."""
        try:
            with locked(self.dir):
                return self._run()
        finally:  # also on Ctrl-C and SIGTERM: the local Dask workers are shut down, not orphaned
            self._close_client()

    def _close_client(self) -> None:
        """Close the Dask client. A local cluster is owned by its client (``local_client``)
        and ends with it; a shared ``--scheduler`` cluster is left running. While it closes
        (after Ctrl-C or SIGTERM, with tasks in flight) Dask logs the connections it is
        cutting as errors with tracebacks; they are expected then and are not shown."""
        client, self._client = self._client, None
        if client is not None:
            dask_log = logging.getLogger("distributed")
            level = dask_log.level
            dask_log.setLevel(logging.CRITICAL)
            try:
                with contextlib.suppress(Exception):
                    client.close()
            finally:
                dask_log.setLevel(level)

    def _run(self) -> dict[str, Any]:
        if self.thread_policy is None:
            threads = recorded_threads(saved_config(self.dir, self.config))
            self.thread_policy = apply_policy(choose_policy(threads, self.config.wait_policy))
        # the checkpoint is verified and read before anything in the folder is written
        loaded = load_checkpoint(self.dir, self.config) if self.resuming and self.checkpoint_path.exists() else None
        evaluator = make_evaluator(self.config, self.dir)
        record_threads(self.dir, self.config, driver=self.thread_policy)  # writes config.json on a new run
        faults.mark("work")
        if self.progress:  # once the data loaded and config.json is written: a refusal before stays one line
            print("\n".join(plan_lines(self.config)), file=sys.stderr)
        evaluator.progress = self.progress
        marker = supernet_record(self.dir)
        if (
            self.config.supernet_epochs
            and not callable(evaluator.init_channels)  # one SuperNet width cannot serve a width rule
            and evaluator.store is not None
            and not marker.exists()
            and self.config.algorithm == "tsenas"
        ):
            with faults.span("supernet"):
                info = evaluator.train_supernet(epochs=self.config.supernet_epochs)
            log.info("SuperNet: %d epochs, status %s, %d units exported", info["epochs"], info["status"], info["units"])
            atomic_write(marker, json.dumps(dict(info.items())).encode())
            sign_manifest(self.dir)
        runner, self._client = make_runner(self.config, self.dir)
        if loaded is not None:
            algorithm = attach(loaded, evaluator, runner)
        else:
            algorithm = make_algorithm(self.config, evaluator, runner, self.dir, self.verbose)
        log_path = self.dir / "log.jsonl"
        done = algorithm.n_iter - 1 if algorithm.is_initialized else 0
        if done:
            log.info("resuming %s after generation %d", self.dir, done)
        # the log is derived from the checkpointed algorithm: whatever point a kill hit, no
        # line is lost and none is repeated
        records = algorithm.data.get("generations", []) if algorithm.is_initialized else []
        atomic_write(log_path, "".join(json.dumps(r) + "\n" for r in records).encode())
        bar = SearchBar(algorithm, done, self.config) if self.progress else None
        started, first = time.perf_counter(), True
        while algorithm.has_next():
            with tidy_output(bar), faults.span("generation"):
                algorithm.next()
            record = algorithm.data["generations"][-1]
            with open(log_path, "a") as handle:
                handle.write(json.dumps(record) + "\n")
            faults.point("log")
            algorithm.data["tsenas"] = {
                "version": __version__,
                "format": RUN_DIR_FORMAT,
                "settings": search_settings(self.config),
            }
            payload = seal(dill.dumps(algorithm))
            with faults.span("checkpoint_write"):
                atomic_write(self.checkpoint_path, payload)  # signed, fsync'd, then renamed
            faults.point("checkpoint")
            if self.after_generation is not None:
                self.after_generation(algorithm, evaluator)
            if bar is not None:
                bar.step(record)
                if first:
                    bar.pace(evaluator.trained or 0, time.perf_counter() - started, self.config.plan()[0])
                    first = False
        if bar is not None:
            bar.bar.close()
        self._close_client()
        return finish(self.config, self.dir, algorithm, evaluator, self.progress)


def run_search(
    run_dir: str | Path, config: SearchConfig | None = None, resume: bool = False, **kwargs
) -> dict[str, Any]:
    """Python equivalent of ``tsenas search`` (``resume=True``: ``tsenas search --resume``)."""
    run = SearchRun.resume(run_dir, **kwargs) if resume else SearchRun(run_dir, config or SearchConfig(), **kwargs)
    return run.run()
