"""The README's Python examples and commands run as written."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 2
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    assert 0.5 <= 1 - namespace["res"].F[0] <= 0.9
    assert namespace["res_mo"].F.shape[1] == 2


def test_ci_runs_the_readme_test_command():
    setup = re.search(r"```bash\n(.*?)```", README.read_text(), flags=re.S).group(1).split("\n")
    ci = (README.parent / ".ci" / "run").read_text()
    assert setup[1] in ci.splitlines()
