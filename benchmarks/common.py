"""What every benchmark shares: where results go and how they are named, the machine
they ran on, and how to call the ``tsenas`` CLI.

Result files: ``benchmarks/results/<benchmark>[_<dataset>][_<variant>].json``, where
``<benchmark>`` is the script's name (``result_path``). ``benchmarks`` is a package: a
script in a purpose folder (``perf/``, ``experiments/``, ``quality/``, ``reliability/``,
``device/``) runs from the repository root as ``python -m benchmarks.<folder>.<script>``
and imports ``benchmarks.common``; helpers shared with the tests live in
``tsenas_pymoo.testing``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from tsenas_pymoo.analysis import campaign
from tsenas_pymoo.analysis.campaign import append_record, read_records, spread  # noqa: F401 (the scripts import them here)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PLOTS = ROOT / "plots"

#: The splits of a measurement that selects no network and claims nothing about accuracy.
#: The tiny search the shared-machine benchmarks time beside a CPU load (contention.py,
#: script_vs_cli.py): ``tsenas search`` options.
LOADED_SEARCH = [
    "--seed",
    "5",
    "--pop-size",
    "4",
    "--fine-size",
    "2",
    "--stage1-gens",
    "2",
    "--stage2-gens",
    "1",
    "--epochs",
    "1",
    "--init-channels",
    "4",
    "--final-epochs",
    "1",
    "--device",
    "cpu",
]

NO_SELECTION = {
    "selection": "none: no network is selected by accuracy here",
    "report": "none: a speed, cost or reliability measurement, no claim about networks' accuracy",
}


def no_options(doc: str | None) -> None:
    """For a script without options: ``--help`` prints its docstring instead of running it."""
    import argparse

    argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()


def result_path(benchmark: str, *parts: str, suffix: str = ".json") -> Path:
    """``results/<benchmark>[_<part>...].json``; empty parts are left out."""
    return RESULTS / ("_".join([benchmark, *(p for p in parts if p)]) + suffix)


def write_result(path: Path, data: dict[str, Any]) -> Path:
    """Write one results file (with the machine it ran on, unless it says so itself). It
    must name its ``splits``: the images that selected and those that report."""
    splits = data.get("splits")
    if not (isinstance(splits, dict) and splits.get("selection") and splits.get("report")):
        raise ValueError(f"{path.name}: splits={splits!r}; rule: name the selection and report images")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {**data, "machine": data.get("machine") or machine(), "provenance": provenance()}
    path.write_text(json.dumps(data, indent=1))
    return path


def mark_superseded(path: Path, by: str, why: str) -> Path:
    """Label an older results file as superseded by the file named ``by``: its data and its
    own provenance stay as written; the label carries the provenance of the command that
    set it."""
    data = json.loads(path.read_text())
    data["superseded"] = {"by": by, "why": why, "provenance": provenance()}
    path.write_text(json.dumps(data, indent=1))
    return path


def provenance() -> dict[str, Any]:
    """What made a results file: the command line, the commit (with ``+dirty`` when the
    work tree had changes) and the package version."""
    from tsenas_pymoo import __version__

    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    commit = git("rev-parse", "HEAD") or None
    if commit and git("status", "--porcelain", "--untracked-files=no"):
        commit += "+dirty"
    return {"command": command_line(sys.argv), "commit": commit, "version": __version__}


def command_line(argv: list[str]) -> str:
    """The command that remakes a results file: ``python -m benchmarks.<folder>.<script>
    ARGS`` for a script of this package (however it was started), else ``python ARGV``."""
    script = Path(argv[0]).resolve()
    if script.is_relative_to(ROOT / "benchmarks") and script.suffix == ".py":
        module = ".".join(script.relative_to(ROOT).with_suffix("").parts)
        return " ".join(["python -m", module, *argv[1:]])
    return " ".join(["python", Path(argv[0]).as_posix(), *argv[1:]])


def machine() -> dict[str, Any]:
    """The machine a measurement ran on."""
    import torch

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def tsenas(
    *args: str, capture: bool = True, check: bool = False, env: dict | None = None, timeout: float | None = None
):
    """Run ``tsenas ARGS...`` in a fresh interpreter (this one's); its output captured as
    text, or shown as it runs (``capture=False``)."""
    return subprocess.run(
        [sys.executable, "-m", "tsenas_pymoo.cli", *args],
        capture_output=capture,
        text=True,
        check=check,
        env=env,
        timeout=timeout,
    )


def train_timed(model, x, y, epochs: int, batch_size: int, lr: float, seed: int):
    """Train on the CPU as the evaluator does (the package's trainer, batch norm
    recalibrated after); returns (the trainer's result, wall seconds, CPU seconds)."""
    import time

    from tsenas_pymoo.evaluation.trainer import recalibrate_batchnorm, train_model

    start, cpu_start = time.perf_counter(), time.process_time()
    result = train_model(model, x, y, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, device="cpu")
    recalibrate_batchnorm(model, x, batch_size=batch_size, device="cpu")
    return result, time.perf_counter() - start, time.process_time() - cpu_start


def correct(model, x, y, batch: int = 1000):
    """Per image, 1.0 where ``model`` (in eval mode) names the label, else 0.0."""
    import numpy as np
    import torch

    model.eval()
    x = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        hits = [(model(x[i : i + batch]).argmax(1) == y[i : i + batch]).numpy() for i in range(0, len(y), batch)]
    return np.concatenate(hits).astype(float)


def run_tasks(function, tasks: list[tuple], workers: int, on_result, desc: str = "tasks", follow_up=None) -> None:
    """:func:`tsenas_pymoo.analysis.campaign.run_tasks`, with the repository root on the
    workers' path (they import this package's scripts by name)."""
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    campaign.run_tasks(function, tasks, workers, on_result, desc=desc, follow_up=follow_up)
