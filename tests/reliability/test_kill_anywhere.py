"""Kill anywhere: SIGKILL at a fault point in each phase of a search (three of the twelve
that benchmarks/reliability/fault_injection.py runs; random moments: test_soak.py); each
resumed run ends exactly as an uninterrupted one."""

from tsenas_pymoo.testing.harness import QUICK, print_table, run_all


def test_a_search_killed_anywhere_resumes_to_the_same_end(tmp_path, capsys, tiny_reference):
    table = run_all(tmp_path, quick=True, reference=tiny_reference)
    with capsys.disabled():
        print_table(table)
    assert [r["phase"] for r in table] == list(QUICK)
    assert all(r["killed"] for r in table), [r["fault"] for r in table if not r["killed"]]
    assert all(r["identical"] for r in table), [r for r in table if not r["identical"]]
