"""The prepared device suite runs end to end on CPU in tiny mode, so it cannot rot
between the sessions that are lent a GPU."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "device" / "device_suite.py"


def test_device_suite_tiny_on_cpu(tmp_path):
    pytest.importorskip("distributed")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.device.device_suite",
            "--device",
            "cpu",
            "--tiny",
            "--out-dir",
            f"{tmp_path}",
        ],
        cwd=SCRIPT.parents[2],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads((tmp_path / "device_suite.json").read_text())
    assert {s: v["status"] for s, v in summary["sections"].items()} == {
        "cuda_tests": "ok",
        "throughput": "ok",
        "compile": "ok",
        "workers": "ok",
        "paper_budget": "ok",
        "search": "ok",
    }
    tests = json.loads((tmp_path / "device_cuda_tests.json").read_text())
    assert tests["tests"] >= 4 and tests["failures"] == tests["errors"] == 0  # collected; skipped without a GPU
    rows = json.loads((tmp_path / "device_throughput.json").read_text())["rows"]
    assert rows and all(r["images_per_s"]["ours"] > 0 and r["ratio_vs_like"] > 0 for r in rows)
    compiled = json.loads((tmp_path / "device_compile.json").read_text())
    assert compiled["eager_s"] > 0 and compiled["compiled_s"] > 0 and compiled["compile_cost_s"] is not None
    workers = json.loads((tmp_path / "device_workers.json").read_text())
    assert [r["workers"] for r in workers["rows"]] == [1, 2]
    assert all(r["evaluations_per_hour"] > 0 for r in workers["rows"])
    budget = json.loads((tmp_path / "device_paper_budget.json").read_text())
    assert budget["trainings"] == 14_600  # the paper's CIFAR-10 search: P(1 + T0) = 10,100 and 3 S T1 = 4,500
    assert budget["workers_speedup"] == workers["speedup_best_vs_k1"]
    # more workers per GPU can only shorten the projection, never below the SuperNet alone
    assert budget["supernet_s"] / 86_400 < budget["gpu_days_best_k"]
    assert budget["gpu_days_best_k"] <= budget["gpu_days_k1"] or budget["workers_speedup"] < 1
    search = json.loads((tmp_path / "device_search.json").read_text())
    assert 0 < search["summary"]["final"]["test_accuracy"] <= 1 and search["wall_s"] > 0


def test_tiny_or_cpu_runs_write_outside_the_results_folder():
    import importlib

    module = importlib.import_module("benchmarks.device.device_suite")
    results = SCRIPT.parents[1] / "results"
    assert module.default_out_dir("cuda", tiny=False) == results
    for device, tiny in (("cpu", True), ("cpu", False), ("cuda", True), ("cuda:1", True)):
        out = module.default_out_dir(device, tiny)
        assert out != results and results not in out.parents, (device, tiny)


def test_a_failed_cuda_case_keeps_its_reason():
    """A GPU run is rare: what failed and why must come back in the results file, not
    only in a log tail that other output can fill."""
    import importlib
    import xml.etree.ElementTree as ET

    module = importlib.import_module("benchmarks.device.device_suite")
    report = ET.fromstring(
        '<testsuite><testcase name="bad" time="1.5"><failure message="assert 0.4 &gt; 0.5">'
        + "x" * 2000
        + "AssertionError</failure></testcase>"
        '<testcase name="off" time="0.1"><skipped message="no GPU"/></testcase>'
        '<testcase name="good" time="0.2"/></testsuite>'
    )
    bad, off, good = (module._case(c) for c in report.iter("testcase"))
    assert bad["outcome"] == "failed" and bad["message"] == "assert 0.4 > 0.5"
    assert bad["traceback_tail"].endswith("AssertionError") and len(bad["traceback_tail"]) == 1500
    assert off == {"name": "off", "seconds": 0.1, "outcome": "skipped"}
    assert good["outcome"] == "passed" and "message" not in good
