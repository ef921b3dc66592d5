"""Kill anywhere: SIGKILL at 12 fault points covering every phase of a search; each
resumed run ends exactly as an uninterrupted one (benchmarks/fault_injection.py)."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "fault_injection.py"


def test_a_search_killed_anywhere_resumes_to_the_same_end(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("fault_injection", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = module.run_all(tmp_path)
    with capsys.disabled():
        module.print_table(table)
    assert len(table) >= 10
    assert all(r["killed"] for r in table), [r["fault"] for r in table if not r["killed"]]
    assert all(r["identical"] for r in table), [r for r in table if not r["identical"]]
