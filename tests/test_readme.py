"""The README's Python examples and commands run as written."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 3
    namespace: dict = {}
    for block in blocks[:2]:
        exec(compile(block, str(README), "exec"), namespace)
    assert 0.5 <= 1 - namespace["res"].F[0] <= 0.9
    assert namespace["res_mo"].F.shape[1] == 2
    exec(compile(blocks[2], str(README), "exec"), namespace)
    assert (tmp_path / "runs" / "demo" / "archive.sqlite").exists()
    assert namespace["evaluator"].trained >= 4 and 0 < namespace["res"].pop.get("accuracy").max() <= 1


def test_ci_runs_the_readme_test_command():
    setup = re.search(r"```bash\n(.*?)```", README.read_text(), flags=re.S).group(1).split("\n")
    ci = (README.parent / ".ci" / "run").read_text()
    assert setup[1] in ci.splitlines()
