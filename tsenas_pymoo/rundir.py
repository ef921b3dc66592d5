"""A run directory is untrusted input: its entries are read and written without following
links, under names nobody can guess.

Someone with write access to a shared run directory (or a login on the same machine) can
plant a symbolic link where tsenas will write (``best_genotype.json`` -> ``~/.bashrc``), a
link at a predictable temporary name, or a link to another folder where tsenas deletes
files. So:

* :func:`atomic_write` writes a temporary file made by ``mkstemp`` (``O_CREAT | O_EXCL``,
  a random name, mode 0600, in the same folder), then renames it over the target: a
  rename replaces a link instead of writing through it, and a link at the target is
  refused first;
* :func:`read_bytes` opens with ``O_NOFOLLOW``;
* :func:`refuse_links` walks the folder (never into a linked folder) and refuses any
  entry that is a link, in one line naming it; a command that reads or writes a run
  directory calls it before anything else;
* :func:`inside` answers whether a path to delete stays inside the run directory;
* :func:`clean_temporaries` removes the temporary files a kill left behind (plain files
  only, inside the folder), on the next start.

Kept free of torch.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

#: What :func:`atomic_write`'s temporary files look like (``.NAME.<random>.tmp``).
TEMPORARY = re.compile(r"^\..+\.tmp$")


class LinkedEntry(ValueError):
    """A run directory entry that is a symbolic link."""


def _refuse(path: Path, run_dir: Path | None = None) -> None:
    where = f"run directory {run_dir}: " if run_dir else ""
    raise LinkedEntry(
        f"{where}{path} is a symbolic link; rule: a run directory holds only plain files and folders "
        f"(tsenas never follows a link in one: remove it, or copy the run without links)"
    )


def refuse_links(run_dir: str | Path) -> None:
    """One line naming the first entry of ``run_dir`` (the folder itself aside) that is a
    symbolic link; nothing when there is none."""
    root = Path(run_dir)
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in (*dirs, *files):
            path = Path(folder) / name
            if path.is_symlink():
                _refuse(path, root)


def atomic_write(path: str | Path, data: bytes, mode: int = 0o644, durable: bool = True) -> None:
    """Write ``data`` to ``path`` through a private temporary file and a rename; a failure
    (a full disk) leaves ``path`` as it was and no temporary file behind. A link at
    ``path`` is refused. ``durable``: fsync before the rename (off for files a checksum
    guards and a later run rebuilds)."""
    path = Path(path)
    if path.is_symlink():
        _refuse(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def read_bytes(path: str | Path) -> bytes:
    """The bytes of a run directory file; a link is refused (``O_NOFOLLOW``)."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as err:
        if path.is_symlink():
            _refuse(path)
        raise err from None
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def read_text(path: str | Path) -> str:
    return read_bytes(path).decode("utf-8")


def inside(path: str | Path, run_dir: str | Path) -> bool:
    """Whether ``path`` is inside ``run_dir`` with no link on the way (safe to delete)."""
    path, root = Path(path), Path(run_dir)
    try:
        relative = path.relative_to(root)
    except ValueError:
        return False
    current = root
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            return False
    return ".." not in relative.parts


def clean_temporaries(run_dir: str | Path) -> list[Path]:
    """Remove the temporary files that kills left in ``run_dir`` (plain files named like
    :data:`TEMPORARY`, links never followed); call it with the run lock held."""
    removed = []
    root = Path(run_dir)
    for folder, _dirs, files in os.walk(root, followlinks=False):
        for name in files:
            path = Path(folder) / name
            if TEMPORARY.match(name) and not path.is_symlink() and path.is_file():
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed.append(path)
    return removed


__all__ = ["LinkedEntry", "atomic_write", "clean_temporaries", "inside", "read_bytes", "read_text", "refuse_links"]
