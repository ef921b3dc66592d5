"""The SQLite archive of a run: every evaluation, keyed by the canonical genome key.

A genome already in the archive is answered from it without training. The archive is
the source of truth of a run directory (``archive.sqlite``).
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from .. import __version__, faults
from ..space.genome import AnyGenome

COLUMNS = (
    "accuracy",
    "params",
    "flops",
    "seconds",
    "epochs",
    "inherited_fraction",
    "status",
    "reason",
    "generation",
    "sources",
    "lr",
    "warmup",
    "macs",
    "parents",
)
#: Columns added after the first schema, with their SQL types: older archives gain them.
ADDED = {"sources": "TEXT", "lr": "REAL", "warmup": "REAL", "macs": "INTEGER", "parents": "TEXT"}
#: ``parents``: the keys of the genomes whose trained weights the network could inherit
#: (the algorithm's note; [] for a network without parents), so a lineage can be traced.
JSON_COLUMNS = ("sources", "parents")
#: The archive's format (SQLite ``user_version``); a newer one is refused.
ARCHIVE_FORMAT = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS evaluations (
    key TEXT PRIMARY KEY,
    genome TEXT NOT NULL,
    accuracy REAL NOT NULL,
    params INTEGER,
    flops INTEGER,
    seconds REAL,
    epochs INTEGER,
    inherited_fraction REAL,
    status TEXT NOT NULL,
    reason TEXT,
    generation INTEGER,
    created REAL NOT NULL,
    sources TEXT,
    lr REAL,
    warmup REAL,
    macs INTEGER,
    parents TEXT
)
"""


def genome_to_json(genome: AnyGenome) -> str:
    fine = genome.expand()
    return json.dumps(
        {
            "free_inputs": list(fine.free_inputs),
            "cells": [{"code": c.code, "nodes": [list(n) for n in c.nodes]} for c in fine.cells],
        }
    )


def _defensive(conn: sqlite3.Connection) -> None:
    """An archive from an untrusted run directory runs nothing: no schema-named functions
    (``trusted_schema=OFF``) and SQLite's defensive mode (no writes to its own schema)."""
    conn.execute("PRAGMA trusted_schema=OFF")
    flag = getattr(sqlite3, "SQLITE_DBCONFIG_DEFENSIVE", None)
    if flag is not None and hasattr(conn, "setconfig"):
        conn.setconfig(flag, True)


class Archive:
    """``Archive(path)``: get / put evaluation records by genome key."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn: sqlite3.Connection | None = None
        self._connect()

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            if self.path.is_symlink():
                from ..rundir import LinkedEntry

                raise LinkedEntry(f"{self.path} is a symbolic link; rule: the archive is a plain file")
            conn = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
            _defensive(conn)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                version = conn.execute("PRAGMA user_version").fetchone()[0]
            except sqlite3.DatabaseError as err:
                conn.close()
                raise ValueError(
                    f"{self.path} is not a readable archive ({err}); rule: restore it from a copy, "
                    f"or start a new run directory"
                ) from None
            if version > ARCHIVE_FORMAT:
                conn.close()
                raise ValueError(
                    f"{self.path} has archive format {version}; this version reads format {ARCHIVE_FORMAT}; "
                    f"rule: open it with the tsenas version that wrote it"
                )
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(SCHEMA)
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('tsenas_version', ?)", (__version__,))
            if version != ARCHIVE_FORMAT:  # no write (and no change to the file) when it already says so
                conn.execute(f"PRAGMA user_version = {ARCHIVE_FORMAT}")
            self._conn = conn
            have = {row[1] for row in self._conn.execute("PRAGMA table_info(evaluations)")}
            for name, sql_type in ADDED.items():
                if name not in have:
                    self._conn.execute(f"ALTER TABLE evaluations ADD COLUMN {name} {sql_type}")
        return self._conn

    def _decode(self, row: dict[str, Any]) -> dict[str, Any]:
        for name in JSON_COLUMNS:
            if isinstance(row.get(name), str):
                try:
                    row[name] = json.loads(row[name])
                except ValueError:
                    raise ValueError(
                        f"{self.path}: row {row.get('key', '?')!r}, column {name}: not JSON; rule: "
                        f"rows written by tsenas (restore the archive from a copy)"
                    ) from None
        return row

    def get(self, key: str) -> dict[str, Any] | None:
        row = self._connect().execute(f"SELECT {', '.join(COLUMNS)} FROM evaluations WHERE key = ?", (key,)).fetchone()
        return None if row is None else self._decode(dict(zip(COLUMNS, row)))

    def put(self, key: str, genome: AnyGenome, record: dict[str, Any]) -> None:
        accuracy = record.get("accuracy")
        if not (isinstance(accuracy, (int, float)) and 0.0 <= accuracy <= 1.0):  # NaN fails too
            raise ValueError(f"evaluation of {key}: accuracy={accuracy!r}; rule: a number in [0, 1]")
        values = [
            json.dumps(record.get(c)) if c in JSON_COLUMNS and record.get(c) is not None else record.get(c)
            for c in COLUMNS
        ]
        conn = self._connect()
        with faults.span("archive_write"):
            conn.execute(
                f"INSERT OR REPLACE INTO evaluations (key, genome, {', '.join(COLUMNS)}, created) "
                f"VALUES (?, ?, {', '.join('?' * len(COLUMNS))}, ?)",
                [key, genome_to_json(genome), *values, time.time()],
            )

    def records(self) -> list[dict[str, Any]]:
        rows = (
            self._connect()
            .execute(f"SELECT key, genome, {', '.join(COLUMNS)} FROM evaluations ORDER BY created")
            .fetchall()
        )
        return [self._decode(dict(zip(("key", "genome", *COLUMNS), row))) for row in rows]

    def __len__(self) -> int:
        return self._connect().execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __getstate__(self):
        return {"path": self.path, "_conn": None}

    def __setstate__(self, state):
        self.__dict__.update(state)
