"""A whole search in one run directory, with resume after any interruption.

The folder holds ``config.json``, ``archive.sqlite`` (every evaluation: the source of
truth), ``store/`` (the weight store), ``checkpoint.pkl`` (the algorithm after the last
finished generation, pymoo's documented dill way, signed with this user's key:
:mod:`~tsenas_pymoo.trust`), ``log.jsonl`` (one line per
generation), and at the end ``best_genotype.json``, ``final/`` (weights) and the plots.

Resume re-loads the checkpoint and runs on: the generation that was cut off is made again
from the same random state, so its offspring are the same, and those already trained are
answered by the archive.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import logging
import os
import re
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import dill
import numpy as np
from pymoo.core.algorithm import Algorithm

from . import __version__, faults
from .algorithm import TSENAS, accuracy_output, best_first
from .budget import supernet_record
from .config import SearchConfig
from .final import train_final
from .genotype import save_genotype
from .interface import RunEvaluator
from .problem import TSENASProblem
from .rundir import atomic_write, clean_temporaries, read_text, refuse_links
from .space.genome import readable
from .space.width import resolve_width
from .stock import budget_termination
from .threads import apply_policy, choose_policy, recorded_threads
from .trust import seal, sign_manifest, verify, verify_manifest

log = logging.getLogger(__name__)


#: The run-directory format (config.json, checkpoint, archive); a newer one is refused.
#: 2 (tsenas 0.4): the checkpoint is a signed envelope (trust.py); a format-1 run
#: directory resumes after `tsenas trust`.
RUN_DIR_FORMAT = 2


def _check_run_dir_format(config_path: Path) -> None:
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


def generations_of(c: SearchConfig):
    """A stock algorithm's length without --budget: 1 + T0 + T1 generations of pop-size
    networks; regularized evolution, which makes pop-size / 10 a generation, runs the
    same number of evaluations."""
    gens = 1 + c.stage1_gens + c.stage2_gens
    return ("n_eval", c.pop_size * gens) if c.algorithm == "re" else ("n_gen", gens)


def _problem_core(problem):
    """The problem that holds the evaluator (a mixed-variable problem wraps one)."""
    return problem.__dict__.get("base", problem)


def _tidy_output(bar):
    """pymoo's verbose table goes through ``tqdm.write`` while a progress bar is shown,
    so the two do not interleave."""
    if bar is None:
        return contextlib.nullcontext()
    from tqdm.contrib import DummyTqdmFile

    return contextlib.redirect_stdout(DummyTqdmFile(sys.stdout))


def _plan_lines(config: SearchConfig) -> list[str]:
    """What a search says when it starts its work: its plan, and what a budget leaves out."""
    total, how = config.plan()
    supernet = f", after a SuperNet of {config.supernet_epochs} epochs" if config.trains_supernet() else ""
    lines = [f"tsenas: plan: up to {total:,} networks to train ({how}){supernet}"]
    return lines + [f"tsenas: note: {note}" for note in config.budget_notes()]


class _SearchBar:
    """The search's progress bar: over its generations, or, under ``--budget``, over the
    budget (networks or MMAC-epochs), so that it has a total and an ETA either way."""

    def __init__(self, algorithm: Algorithm, done: int, config: SearchConfig):
        from tqdm.auto import tqdm

        from .budget import BudgetTermination

        term = algorithm.termination
        self.used = term.used if isinstance(term, BudgetTermination) else None
        self.tsenas = config.algorithm == "tsenas"
        if self.used is None:
            self.bar = tqdm(total=getattr(term, "n_max_gen", None), initial=done, desc="generations", unit="gen")
        else:
            unit = "net" if config.budget_unit == "networks" else "MMAC-ep"
            total = int(term.budget) if float(term.budget).is_integer() else term.budget
            self.bar = tqdm(total=total, initial=min(self.used(), total), desc="budget", unit=unit)

    def pace(self, trained: int, seconds: float, planned: int) -> None:
        """One line after this process's first generation: its pace, and the plan at it."""
        if trained:
            each = seconds / trained
            self.bar.write(
                f"tsenas: pace: {trained} networks trained in {seconds:.0f} s ({each:.1f} s each); "
                f"the plan's up to {planned:,} networks at this pace: about {planned * each / 60:.0f} min",
                file=sys.stderr,
            )

    def step(self, record: dict) -> None:
        if self.used is None:
            self.bar.update(1)
        else:
            self.bar.update(min(self.used(), self.bar.total) - self.bar.n)
        where = {"stage": record["stage"]} if self.tsenas else {"gen": record["n_gen"]}
        self.bar.set_postfix(**where, best=f"{record['best_accuracy']:.3f}")


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


_atomic_write = atomic_write  # the name earlier versions' callers import


def archive_best(archive) -> list:
    """The genomes an archive scored, best validation accuracy first (a repeat's best
    score counts; re-scoring rows and failed trainings aside)."""
    from .space.genome import genome_from_key

    rows = [r for r in archive.records() if "#" not in r["key"] and r["status"] == "ok"]
    rows.sort(key=lambda r: -r["accuracy"])  # stable: the earlier of equal scores first
    return [genome_from_key(r["key"].split("@")[0]) for r in rows]


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
            _check_run_dir_format(config_path)
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

    def _evaluator(self) -> RunEvaluator:
        c = self.config
        if c.evaluator == "surrogate":
            from .bench import SurrogateEvaluator

            evaluator = SurrogateEvaluator(c.surrogate_table, seed=c.seed, archive=self.dir / "archive.sqlite")
            if not evaluator.n_min <= c.n_min <= c.n_max <= evaluator.n_max:
                raise ValueError(
                    f"n_min={c.n_min}, n_max={c.n_max}; rule: within the surrogate table's "
                    f"N {evaluator.n_min}-{evaluator.n_max} (--n-min, --n-max)"
                )
            return evaluator
        return c.torch_evaluator(store=self.dir / "store", archive=self.dir / "archive.sqlite")

    def _runner(self):
        """A Dask runner when the config asks for workers or a scheduler, else None."""
        c = self.config
        if not (c.workers or c.workers_per_device or c.scheduler):
            return None
        try:
            from .evaluation.distributed import DaskRunner, device_count, local_client
        except ImportError as err:
            raise ValueError(
                f'--workers/--scheduler need Dask ({err.name} is not installed); rule: pip install "tsenas_pymoo[dask]"'
            ) from None

        if c.scheduler:
            from distributed import Client

            self._client = Client(c.scheduler)
            return DaskRunner(self._client, threads=c.threads or 1)
        workers = c.workers or c.workers_per_device * device_count(c.device)
        policy = choose_policy(recorded_threads(self._saved_config(), "workers"), c.wait_policy, processes=workers)
        self._client = local_client(workers, policy)
        self._record_threads(workers=policy.to_dict())
        return DaskRunner(self._client, threads=policy.threads)

    def _saved_config(self) -> dict:
        path = self.dir / "config.json"
        return json.loads(read_text(path)) if path.is_file() else dataclasses.asdict(self.config)

    def _record_threads(self, **policies) -> None:
        """The thread policies in force, written into config.json beside the settings
        (and the version stamp)."""
        path = self.dir / "config.json"
        data = dict(self._saved_config(), tsenas_version=__version__, format=RUN_DIR_FORMAT)
        before = data.get("thread_policy")
        data["thread_policy"] = dict(before if isinstance(before, dict) else {}, **policies)
        _atomic_write(path, json.dumps(data, indent=1).encode())
        sign_manifest(self.dir)

    def _load_checkpoint(self) -> Algorithm:
        payload = verify(self.checkpoint_path.read_bytes(), self.checkpoint_path, self.dir)  # before unpickling
        try:
            algorithm = dill.loads(payload)
        except Exception as err:
            raise ValueError(
                f"{self.checkpoint_path} cannot be read ({type(err).__name__}: {err}); rule: delete "
                f"it and --resume again: the search restarts and every network already trained is "
                f"answered from archive.sqlite"
            ) from None
        if not isinstance(algorithm, Algorithm):
            raise ValueError(
                f"{self.checkpoint_path} holds a {type(algorithm).__name__}, not a TSENAS search; "
                f"rule: a checkpoint written by tsenas search"
            )
        stamp = algorithm.data.get("tsenas") or {}
        _refuse_newer(self.checkpoint_path, stamp.get("format", 1), stamp.get("version"))
        _refuse_changed(self.dir / "config.json", stamp.get("settings"), self.config)
        return algorithm

    def _algorithm(self, evaluator: RunEvaluator, loaded: Algorithm | None = None) -> Algorithm:
        c = self.config
        runner = self._runner()
        if loaded is not None:
            algorithm = loaded
            _problem_core(algorithm.problem).evaluator = evaluator
            if runner is not None:
                algorithm.problem.elementwise_runner = runner
                if hasattr(algorithm, "fine_problem"):
                    algorithm.fine_problem.elementwise_runner = runner
            return algorithm
        extra = {} if runner is None else {"elementwise_runner": runner}
        termination = budget_termination(c.budget_unit, c.budget, self.dir)
        if c.algorithm != "tsenas":
            from .stock import GenerationLog, make_algorithm, make_problem

            problem = make_problem(
                c.algorithm,
                evaluator,
                n_min=c.n_min,
                n_max=c.n_max,
                objectives=tuple(c.objectives.split(",")),
                **c.budget_kwargs(),
                **extra,
            )
            _problem_core(problem).exclude_from_serialization = ["evaluator"]
            algorithm = accuracy_output(make_algorithm(c.algorithm, c.pop_size), problem.n_obj)
            algorithm.setup(
                problem,
                termination=termination or generations_of(c),
                seed=c.seed,
                verbose=self.verbose,
                callback=GenerationLog(),
            )
            return algorithm
        problem = TSENASProblem(
            evaluator,
            n_min=c.n_min,
            n_max=c.n_max,
            exclude_from_serialization=["evaluator"],
            objectives=tuple(c.objectives.split(",")),
            **c.budget_kwargs(),
            **extra,
        )
        algorithm = TSENAS(
            pop_size=c.pop_size,
            fine_size=c.fine_size,
            stage1_gens=c.stage1_gens,
            stage2_gens=c.stage2_gens,
            alpha=c.alpha,
            update_every=c.update_every,
            reevaluate=c.reevaluate,
            fine_cells=c.fine_cells,
            mutate_offspring=c.mutate_offspring,
            carry_connections=c.carry_connections,
            remake_known=c.remake_known,
        )
        algorithm.setup(
            problem, seed=c.seed, verbose=self.verbose, **({} if termination is None else {"termination": termination})
        )
        return algorithm

    def run(self) -> dict[str, Any]:
        """Run (or continue) the search; returns the summary also written to summary.json.
        One search at a time per run directory: a second one is refused."""
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.dir / ".run.lock"), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            pid = (self.dir / ".run.pid").read_text().strip() if (self.dir / ".run.pid").exists() else "?"
            raise ValueError(
                f"run directory {self.dir} is in use by another tsenas search (pid {pid}); "
                f"rule: one search per run directory"
            ) from None
        except OSError as err:  # a read-only folder: not even the lock file can be made
            raise ValueError(
                f"run directory {self.dir}: cannot write ({err.strerror}); rule: a writable folder "
                f"with free space for the archive, weight store and checkpoints"
            ) from None
        try:
            refuse_links(self.dir)  # again, now that no other tsenas search can change it
            clean_temporaries(self.dir)  # what a kill between a write and its rename left
            _atomic_write(self.dir / ".run.pid", str(os.getpid()).encode())  # also proves the folder writable
            return self._run()
        except (OSError, sqlite3.OperationalError) as err:
            if getattr(err, "errno", None) not in _NO_ROOM and not _NO_ROOM_SQLITE.search(str(err)):
                raise
            why = f"{err.strerror}: {err.filename or '?'}" if isinstance(err, OSError) else f"archive: {err}"
            raise ValueError(
                f"run directory {self.dir}: cannot write ({why}); rule: "
                f"a writable folder with free space for the archive, weight store and checkpoints; "
                f"every finished generation is checkpointed, so make room and resume with "
                f"`tsenas search --resume {self.dir}`"
            ) from None
        finally:  # also on Ctrl-C and SIGTERM: the local Dask workers are shut down, not orphaned
            self._close_client()
            lock.release()

    def _close_client(self) -> None:
        """Close the Dask client. A local cluster is owned by its client (``local_client``)
        and ends with it; a shared ``--scheduler`` cluster is left running. While it closes
        (after Ctrl-C or SIGTERM, with tasks in flight) Dask logs the connections it is
        cutting as errors with tracebacks; they are expected then and are not shown."""
        client, self._client = getattr(self, "_client", None), None
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
            threads = recorded_threads(self._saved_config())
            self.thread_policy = apply_policy(choose_policy(threads, self.config.wait_policy))
        # the checkpoint is verified and read before anything in the folder is written
        loaded = self._load_checkpoint() if self.resuming and self.checkpoint_path.exists() else None
        evaluator = self._evaluator()
        self._record_threads(driver=self.thread_policy)  # writes config.json on a new run
        faults.mark("work")
        if self.progress:  # once the data loaded and config.json is written: a refusal before stays one line
            print("\n".join(_plan_lines(self.config)), file=sys.stderr)
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
            _atomic_write(marker, json.dumps(dict(info.items())).encode())
            sign_manifest(self.dir)
        algorithm = self._algorithm(evaluator, loaded)
        log_path = self.dir / "log.jsonl"
        done = algorithm.n_iter - 1 if algorithm.is_initialized else 0
        if done:
            log.info("resuming %s after generation %d", self.dir, done)
        # the log is derived from the checkpointed algorithm: whatever point a kill hit, no
        # line is lost and none is repeated
        records = algorithm.data.get("generations", []) if algorithm.is_initialized else []
        _atomic_write(log_path, "".join(json.dumps(r) + "\n" for r in records).encode())
        bar = _SearchBar(algorithm, done, self.config) if self.progress else None
        started, first = time.perf_counter(), True
        while algorithm.has_next():
            with _tidy_output(bar), faults.span("generation"):
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
                _atomic_write(self.checkpoint_path, payload)  # signed, fsync'd, then renamed
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
        return self._finish(algorithm, evaluator)

    def _rescore(self, algorithm, evaluator):
        """The final candidates, retrained from scratch ``rescore_seeds`` times each
        (archived in rescore.sqlite); the best mean wins. TS-ENAS's candidates are the top
        ``rescore_top`` of its last population (every s in stage 2); a stock algorithm's
        answer is the best it ever evaluated (random search and regularized evolution keep
        no elite population), so its candidates are the archive's top ``rescore_top``."""
        from .evaluation.rescore import rescore

        if self.config.algorithm == "tsenas":
            pop = algorithm.pop
            ordered = [algorithm.problem.decode(pop[i].X) for i in best_first(pop)]
        else:
            ordered = archive_best(evaluator.archive)
        genomes = list({g.key(): g for g in ordered}.values())[: self.config.rescore_top]
        c = self.config
        result = rescore(
            genomes, evaluator, c.rescore_seeds, self.dir / "rescore.sqlite", c.rung_data(), c.rescore_epochs
        )
        return genomes[result["pick_index"]], result

    def _compute(self) -> dict[str, float] | None:
        """The search's work in both ``--budget-unit`` units (re-scoring aside: its own
        ``mmac_epochs`` is in the summary's ``rescore``)."""
        from .budget import MacEpochs, TrainedNetworks

        archive = self.dir / "archive.sqlite"
        if not archive.exists():
            return None
        return {
            "networks": TrainedNetworks(archive)(),
            "mmac_epochs": MacEpochs.of_run(self.dir)(),
        }

    def _finish(self, algorithm, evaluator) -> dict[str, Any]:
        c = self.config
        algorithm.result()
        opt = algorithm.opt  # the best, or the front with two objectives: its most accurate one
        winner = opt[best_first(opt)[0]]
        best_f = np.atleast_1d(winner.F)
        best = algorithm.problem.decode(winner.X)
        summary = {
            "best_genome": best.key(),
            "best_val_accuracy": float(1 - best_f[0]),
            "search_pick": best.key(),
            "generations": len(algorithm.data["generations"]),
            "evaluations": len(evaluator.archive),
            "stage2_start": getattr(algorithm, "stage2_start", None),
            "algorithm": self.config.algorithm,
            "compute": self._compute(),
        }
        if c.rescore_top:
            best, summary["rescore"] = self._rescore(algorithm, evaluator)
            summary["best_genome"] = best.key()
        summary["best_network"] = readable(best)  # by its cells' names, beside the key
        final_dir = self.dir / "final"
        report_path = final_dir / "report.json"
        if report_path.exists():
            report = json.loads(read_text(report_path))
        elif c.evaluator == "surrogate":  # no training: the surrogate's test accuracy, said so
            final_dir.mkdir(parents=True, exist_ok=True)
            answer = evaluator.predict(best)
            report = {
                "source": "surrogate (no training): its model of the test accuracy under the table's settings",
                "test_accuracy": answer["test_accuracy"],
                "test_error": 1 - answer["test_accuracy"],
                "epochs": 0,
                "params": answer["params"],
                "macs": answer["macs"],
                "table": evaluator.table.meta["settings"],
            }
            _atomic_write(report_path, json.dumps(report, indent=1).encode())
            sign_manifest(self.dir)
        else:
            with faults.span("final"):
                report = train_final(
                    best,
                    evaluator.dataset,
                    c.final_recipe(),
                    init_channels=resolve_width(evaluator.init_channels or c.init_channels, best),
                    seed=c.seed,
                    out_dir=final_dir,
                    progress=self.progress,
                )
            faults.point("final")
            _atomic_write(report_path, json.dumps(report, indent=1).encode())
            sign_manifest(self.dir)
            faults.point("report")
        summary["final"] = report
        save_genotype(
            self.dir / "best_genotype.json",
            best,
            evaluator.input_shape,
            evaluator.num_classes,
            resolve_width(evaluator.init_channels or c.init_channels, best),
            val_accuracy=summary["best_val_accuracy"],
            final=report,
            **evaluator.search_data(),
        )
        from .plotting import save_plots

        summary["plots"] = [str(p) for p in save_plots(self.dir)]
        _atomic_write(self.dir / "summary.json", json.dumps(summary, indent=1).encode())
        return summary


def run_search(
    run_dir: str | Path, config: SearchConfig | None = None, resume: bool = False, **kwargs
) -> dict[str, Any]:
    """Python equivalent of ``tsenas search`` (``resume=True``: ``tsenas search --resume``)."""
    run = SearchRun.resume(run_dir, **kwargs) if resume else SearchRun(run_dir, config or SearchConfig(), **kwargs)
    return run.run()
