"""The archive's evaluation keys, one grammar in one place: ``GENOME[@TAG][#rescoreK[@RUNG]]``.

``GENOME`` is the genome's key (``NetworkGenome.key()``); ``@TAG`` an evaluation of it
again (Alg. 4 line 7: s beside its children, ``TAG`` the fine generation), which seeds
and archives it apart; ``#rescoreK`` the K-th re-scoring training of a finalist, with
``@RUNG`` when a finalist round's fidelity made it. Rows with ``#`` are not the search's
own evaluations: budgets and the search's best leave them out."""

from __future__ import annotations

REPEAT = "@"
RESCORE = "#rescore"
#: SQL over the ``evaluations`` table: the search's own rows (re-scoring rows aside).
SEARCH_ROWS = "key NOT LIKE '%#%'"


def repeat_key(key: str, tag: int) -> str:
    """The evaluation key of genome ``key`` evaluated again under ``tag``."""
    return f"{key}{REPEAT}{tag}"


def rescore_key(genome_key: str, seed_index: int, rung: str = "") -> str:
    """The key (and the seed) of re-scoring training ``seed_index`` of a genome
    (``rung``: a finalist round's fidelity, so another rung never reads these trainings)."""
    return f"{genome_key}{RESCORE}{seed_index}{REPEAT + rung if rung else ''}"


def split_key(key: str) -> tuple[str, str]:
    """(the genome's key, what follows it: ``@6``, ``#rescore0@r2``, or "")."""
    cut = min((i for i in (key.find(REPEAT), key.find("#")) if i >= 0), default=len(key))
    return key[:cut], key[cut:]


def is_search_row(key: str) -> bool:
    """A row of the search itself (not a re-scoring training)."""
    return "#" not in key


__all__ = ["REPEAT", "RESCORE", "SEARCH_ROWS", "is_search_row", "repeat_key", "rescore_key", "split_key"]
