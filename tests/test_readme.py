"""The README's and every docs/ page's Python examples run as written, and say what they show."""

import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


def run_page(path: Path) -> dict:
    namespace: dict = {}
    for block in python_blocks(path):
        exec(compile(block, str(path), "exec"), namespace)
    return namespace


def test_readme_python_examples_each_run_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(README)
    assert len(blocks) == 3
    first, stock, full = ({} for _ in blocks)
    for block, ns in zip(blocks, (first, stock, full)):
        exec(compile(block, str(README), "exec"), ns)  # each in a namespace of its own
    # the stand-in scores the share of cells 3, 4, 7, 8: ten GA generations find chains of them only
    assert 1 - first["res"].F[0] == pytest.approx(0.9)
    assert set(first["best"].codes) <= {3, 4, 7, 8}
    assert stock["res_mo"].F.shape[1] == 2 and (stock["res_mo"].F[:, 1] > 1000).all()  # params, not the error
    assert [r["stage"] for r in full["res_ts"].algorithm.data["generations"]] == [1] * 5 + [2] * 5
    assert type(full["problem"].decode(full["res_ts"].X)).__name__ == "FineGenome"
    assert (tmp_path / "convergence.png").stat().st_size > 10_000


def test_the_readme_trajectory_has_points_the_stand_in_never_reported(tmp_path, monkeypatch):
    """The README says every evaluation stores params: counted from the genome when the evaluator reports none."""
    from tsenas_pymoo.plotting import generation_records

    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(python_blocks(README)[2], str(README), "exec"), ns)
    params = [p for r in generation_records(ns["res_ts"]) for _, p in r["population"]]
    assert params and all(p and p > 1000 for p in params)
    assert (ns["res_ts"].pop.get("macs") > 0).all()


def test_docs_pages_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from tsenas_pymoo.evaluation.idx import SYSTEM_FASHION_MNIST, idx_folder_files

    ran = set()
    for page in PAGES:
        if not python_blocks(page):
            continue
        if (
            "fashion-mnist" in page.read_text()
            and page.name == "data.md"
            and idx_folder_files(SYSTEM_FASHION_MNIST) is None
        ):
            continue  # dataset-fashion-mnist is not installed here
        ns = run_page(page)
        ran.add(page.name)
        if page.name == "evaluation.md":
            assert (tmp_path / "runs" / "demo" / "archive.sqlite").exists()
            accuracy = ns["res"].pop.get("accuracy")
            assert ns["evaluator"].trained >= 4 and (accuracy > 0.1).all() and (accuracy <= 1).all()
        if page.name == "data.md":
            assert ns["full"].input_shape == (1, 28, 28) and len(ns["full"].test_y) == 10000
            assert ns["proxy"].input_shape == (1, 14, 14) and len(ns["proxy"].train_y) == 4500
            assert len(ns["evaluator"].dataset.val_y) == 1000 and ns["evaluator"].epochs == 1  # the cpu preset
            assert 0.1 < ns["scored"]["accuracy"] <= 1
        if page.name == "budget.md":  # the pick within 10 % of both limits, at its iso-budget width
            cost = ns["problem"].cost(ns["best"])
            assert ns["res"].CV[0] <= 0 and 270_000 <= cost["params"] <= 300_000
            assert 31_500_000 <= cost["macs"] <= 35_000_000
        if page.name == "surrogate.md":  # a whole two-stage search at the paper's settings
            assert [r["stage"] for r in ns["result"].algorithm.data["generations"]] == [1] * 101 + [2] * 50
            assert type(ns["problem"].decode(ns["result"].X)).__name__ == "FineGenome"
            nets = ns["evaluator"].table.networks().values()
            sampled = [np.mean(n["val"]) for n in nets if n["origin"] == "alg3"]
            assert 1 - ns["result"].F[0] > np.quantile(sampled, 0.9)  # above 9 in 10 Alg. 3 samples
    assert {"evaluation.md", "surrogate.md", "budget.md"} <= ran


def test_readme_links_every_docs_page_and_stays_short():
    text = README.read_text()
    assert len(text.splitlines()) <= 250
    for page in PAGES:
        assert f"](docs/{page.name})" in text, page.name
    for target in re.findall(r"\]\((docs/[^)#]+)", text):
        assert (ROOT / target).exists(), target


def test_docs_links_resolve():
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#:]+\.(?:md|png))", page.read_text()):
            assert (page.parent / target).exists(), (page.name, target)


def test_readme_starts_with_install_and_search_and_ci_runs_its_test_command():
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks[0].split("\n")[:2] == ['pip install -e ".[test]"', "tsenas search"]
    test_command = blocks[1].strip()
    assert test_command.startswith("python -m pytest")
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()
