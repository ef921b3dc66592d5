"""The surrogate table loads, validates and names what is wrong in one line."""

import csv

import pytest

from tsenas_pymoo.bench.table import COLUMNS, load_table, write_table

from .conftest import META, make_rows


def test_the_table_loads_with_every_network_and_its_seeds(table_path):
    table = load_table(table_path)
    nets = table.networks()
    assert len(nets) == 160 and len(table) == 160 + 2 * 20
    assert sum(len(n["val"]) == 3 for n in nets.values()) == 20
    assert {n["stage"] for n in nets.values()} == {1, 2}
    assert table.input_shape == (1, 16, 16) and (table.n_min, table.n_max) == (3, 6)


def _broken(tmp_path, change):
    rows = make_rows(n=12, repeated=0)
    change(rows)
    return write_table(rows, META, tmp_path / "table.csv")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: rows[3].update(val_accuracy=1.5), r"table.csv:5, val_accuracy: 1.5; rule: between 0.0 and 1.0"),
        (lambda rows: rows[0].update(params="many"), r"table.csv:2, params: 'many'; rule: a number"),
        (lambda rows: rows[1].update(key="0:3,0:9,1:3"), r"table.csv:3, key: .*rule"),
        (lambda rows: rows[2].update(key="0:3,0:7"), r"table.csv:4, key: N=2; rule: N_min=3"),
    ],
)
def test_a_bad_row_is_named_by_line_column_and_rule(tmp_path, change, message):
    with pytest.raises(ValueError, match=message):
        load_table(_broken(tmp_path, change))


def test_missing_table_metadata_or_columns_are_refused(tmp_path):
    path = write_table(make_rows(n=12, repeated=0), META, tmp_path / "table.csv")
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[c for c in COLUMNS if c != "macs"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ValueError, match="rule: exactly key, stage"):
        load_table(path)
    with pytest.raises(ValueError, match="rule: record"):
        write_table(rows, {"n_min": 3}, tmp_path / "other.csv")
    with pytest.raises(FileNotFoundError, match=r"surrogate_data\.py"):
        load_table(tmp_path / "absent.csv")
