"""The archive's key grammar (evaluation/keys.py): GENOME[@TAG][#rescoreK[@RUNG]]."""

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from tsenas_pymoo.evaluation.keys import SEARCH_ROWS, is_search_row, repeat_key, rescore_key, split_key
from tsenas_pymoo.operators.sampling import sample_genome
from tsenas_pymoo.space.genome import genome_from_key


@given(st.integers(0, 2**32 - 1), st.integers(0, 99), st.integers(0, 9), st.sampled_from(["", "r1", "rung2"]))
def test_every_key_splits_back_into_its_genome_and_its_suffix(seed, tag, index, rung):
    import numpy as np

    genome = sample_genome(np.random.default_rng(seed), n_min=3, n_max=8)
    key = genome.key()
    assert split_key(key) == (key, "") and is_search_row(key)
    assert split_key(repeat_key(key, tag)) == (key, f"@{tag}") and is_search_row(repeat_key(key, tag))
    rescored = rescore_key(key, index, rung)
    assert split_key(rescored) == (key, f"#rescore{index}" + (f"@{rung}" if rung else ""))
    assert not is_search_row(rescored)
    assert genome_from_key(split_key(rescored)[0]) == genome


def test_the_sql_filter_keeps_the_same_rows_as_the_python_one():
    keys = ["0:3", "0:3@6", "0:3#rescore0", "0:3#rescore1@r2", "0:4,0:7"]
    with sqlite3.connect(":memory:") as conn:
        conn.execute("CREATE TABLE evaluations (key TEXT)")
        conn.executemany("INSERT INTO evaluations VALUES (?)", [(k,) for k in keys])
        kept = {k for (k,) in conn.execute(f"SELECT key FROM evaluations WHERE {SEARCH_ROWS}")}
    assert kept == {k for k in keys if is_search_row(k)} == {"0:3", "0:3@6", "0:4,0:7"}
