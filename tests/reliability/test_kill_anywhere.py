"""Kill anywhere: SIGKILL at a fault point in each phase of a search (five of the twelve
that benchmarks/fault_injection.py runs; random moments: test_soak.py); each resumed run
ends exactly as an uninterrupted one."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "fault_injection.py"


def test_a_search_killed_anywhere_resumes_to_the_same_end(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("fault_injection", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = module.run_all(tmp_path, quick=True)
    with capsys.disabled():
        module.print_table(table)
    assert [r["phase"] for r in table] == list(module.QUICK)
    assert all(r["killed"] for r in table), [r["fault"] for r in table if not r["killed"]]
    assert all(r["identical"] for r in table), [r for r in table if not r["identical"]]
