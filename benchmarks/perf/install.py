"""What an install costs: the default install against the CPU-only one (README, Install).

Each variant goes into a fresh virtual environment (no system packages): the wheels are
first fetched with ``pip download`` into a folder of their own (their total size is what
a network install would carry), then installed from that folder alone (``--no-index``,
no cache) and timed; the environment's size is measured after, and a tiny real search
(digits, 2 generations) shows it works.

* ``default``: ``pip install .``: pip's choice of torch (on Linux the CUDA build with
  its NVIDIA wheels) and no torchvision (the ``vision`` extra).
* ``cpu``: ``pip install torch --index-url https://download.pytorch.org/whl/cpu`` then
  ``pip install .``. That index is unreachable from this machine; the same CPU build of
  torch comes from its local wheel folder (``--cpu-wheel``), so the sizes are the CPU
  build's and the versions may differ from the default's by one release.

Wheels here come from the machine's local mirror, so the times are an install's CPU and
disk work, not a download's; ``download_mb`` is what a network would carry.

    python -m benchmarks.perf.install          # -> results/install.json
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import NO_SELECTION, RESULTS, ROOT, write_result
from tsenas_pymoo.testing.tiny import search_args

CPU_WHEELS = Path("/opt/wheels")


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def run(*args: str, env_dir: Path | None = None) -> float:
    """Run a command (its output kept on failure); its wall seconds."""
    start = time.perf_counter()
    proc = subprocess.run(list(args), capture_output=True, text=True, cwd=env_dir)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return time.perf_counter() - start


def variant(name: str, first: list[str], package: Path, work: Path) -> dict:
    """Fetch, install and check one variant; ``first``: what is installed before the package
    (``package``: its wheel)."""
    venv, wheels = work / name, work / f"{name}-wheels"
    run(sys.executable, "-m", "venv", str(venv))
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    fetch = run(*pip, "download", "--no-cache-dir", "-q", "-d", str(wheels), *first, str(package))
    local = ["--no-index", "--no-cache-dir", "-q", "--find-links", str(wheels)]
    start = time.perf_counter()
    if first:
        run(*pip, "install", *local, *first)
    run(*pip, "install", *local, str(package))
    seconds = time.perf_counter() - start
    site = next((venv / "lib").glob("python*/site-packages"))
    python = str(venv / "bin" / "python")
    probe = "import torch, importlib.util as u; print(torch.__version__, bool(u.find_spec('torchvision')))"
    torch_version, vision = subprocess.run([python, "-c", probe], capture_output=True, text=True).stdout.split()
    search = run(
        str(venv / "bin" / "tsenas"),
        "search",
        *search_args(stage1_gens=1, stage2_gens=1),
        "--out",
        str(work / f"{name}-run"),
    )
    row = {
        "install_seconds": round(seconds, 1),
        "fetch_seconds": round(fetch, 1),
        "download_mb": round(size_mb(wheels), 1),
        "environment_mb": round(size_mb(site), 1),
        "packages": sum(1 for _ in site.glob("*.dist-info")),
        "nvidia_packages": sum(1 for _ in site.glob("nvidia_*.dist-info")),
        "torch": torch_version,
        "torchvision": vision == "True",
        "tiny_search_seconds": round(search, 1),
    }
    shutil.rmtree(venv), shutil.rmtree(wheels)
    return row


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpu-wheel", default=None, help="the CPU build of torch (default: the one in /opt/wheels)")
    args = parser.parse_args(argv)
    cpu_wheel = args.cpu_wheel or str(next(iter(sorted(CPU_WHEELS.glob("torch-*+cpu-*.whl"))), ""))
    if not cpu_wheel:
        raise SystemExit("no CPU build of torch found; rule: --cpu-wheel PATH")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "package"), str(ROOT))
        (package,) = (work / "package").glob("*.whl")
        rows = {"default": variant("default", [], package, work), "cpu": variant("cpu", [cpu_wheel], package, work)}
    out = {
        "splits": NO_SELECTION,
        "variants": rows,
        "cpu_wheel": Path(cpu_wheel).name,
        "note": "wheels from this machine's local mirror; install_seconds is CPU and disk work, download_mb what a "
        "network install would carry",
    }
    for name, row in rows.items():
        print(
            f"{name:8s} install {row['install_seconds']:6.1f} s, download {row['download_mb']:8.1f} MB, "
            f"environment {row['environment_mb']:8.1f} MB, {row['packages']} packages "
            f"({row['nvidia_packages']} NVIDIA), torch {row['torch']}"
        )
    write_result(RESULTS / "install.json", out)
    return out


if __name__ == "__main__":
    main()
