"""The README's Python examples and commands run as written."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 4
    namespace: dict = {}
    for block in blocks[:3]:
        exec(compile(block, str(README), "exec"), namespace)
    assert 0.5 <= 1 - namespace["res"].F[0] <= 0.9
    assert namespace["res_mo"].F.shape[1] == 2
    assert [r["stage"] for r in namespace["res_ts"].algorithm.data["generations"]] == [1] * 5 + [2] * 5
    assert (tmp_path / "convergence.png").exists() and (tmp_path / "trajectory.png").exists()
    exec(compile(blocks[3], str(README), "exec"), namespace)
    assert (tmp_path / "runs" / "demo" / "archive.sqlite").exists()
    assert namespace["evaluator"].trained >= 4 and 0 < namespace["res"].pop.get("accuracy").max() <= 1


def test_readme_real_data_example_runs():
    from tsenas_pymoo.evaluation.idx import SYSTEM_FASHION_MNIST, idx_folder_files

    if idx_folder_files(SYSTEM_FASHION_MNIST) is None:
        pytest.skip("dataset-fashion-mnist is not installed")
    block = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)[4]
    assert 'load_dataset("fashion-mnist")' in block
    namespace: dict = {}
    exec(compile(block, str(README), "exec"), namespace)
    assert namespace["full"].input_shape == (1, 28, 28) and len(namespace["full"].test_y) == 10000
    assert namespace["proxy"].input_shape == (1, 14, 14) and len(namespace["proxy"].train_y) == 4500


def test_readme_starts_with_install_and_search_and_ci_runs_its_test_command():
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks[0].split("\n")[:2] == ['pip install -e ".[test]"', "tsenas search"]
    test_command = blocks[1].strip()
    assert test_command.startswith("python -m pytest")
    assert test_command in (README.parent / ".ci" / "run").read_text().splitlines()
