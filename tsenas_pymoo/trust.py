"""Signed checkpoints: ``--resume`` unpickles only what this user wrote.

A checkpoint is a pickle (pymoo's documented dill way to save an algorithm), and
unpickling runs code the file names. So every checkpoint is written as a signed
envelope: a first line naming the format, a JSON line with the HMAC-SHA256 of the
pickle under this user's key, then the pickle. ``--resume`` checks the signature on the
bytes it read before anything is unpickled; an unsigned, altered or foreign checkpoint is
refused in one line that names ``tsenas trust RUN_DIR``, which shows what the file
holds and signs it once the user says so (Jupyter's notebook trust, for run
directories).

The key: 32 random bytes made on first use at ``$TSENAS_KEY_FILE`` or
``$XDG_CONFIG_HOME/tsenas/checkpoint.key`` (default ``~/.config/tsenas/``), mode 0600.
On a cluster whose nodes share no home, point ``TSENAS_KEY_FILE`` at one private copy.

Kept free of torch and dill: only bytes go in and out.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

#: First line of a signed checkpoint.
MAGIC = b"TSENAS-SIGNED-CHECKPOINT 1\n"
KEY_ENV = "TSENAS_KEY_FILE"


class UntrustedCheckpoint(ValueError):
    """A checkpoint whose signature does not prove that this user wrote it."""


def key_path() -> Path:
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV]).expanduser()
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "tsenas" / "checkpoint.key"


def user_key(create: bool = True) -> bytes:
    """This user's signing key, made (mode 0600) on first use when ``create``."""
    path = key_path()
    if not path.exists():
        if not create:
            raise UntrustedCheckpoint(f"no signing key at {path}; rule: a key is made by the first search you run")
        _make_key(path)
    key = path.read_bytes().strip()
    if len(key) < 32:
        raise ValueError(
            f"signing key {path}: {len(key)} bytes; rule: at least 32 (delete it to make a new one; "
            f"checkpoints signed with it then need `tsenas trust`)"
        )
    return key


def _make_key(path: Path) -> None:
    """Write a new key to ``path`` atomically: it is written whole under a private name,
    then linked into place, so a process that starts at the same moment (Dask workers,
    parallel tests) reads either no key or the whole one, and the first link wins."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32).hex().encode())
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            os.link(draft, path)
    finally:
        os.unlink(draft)


def key_id(key: bytes) -> str:
    """A short public name of a key (not the key): which key signed a checkpoint."""
    return hashlib.sha256(b"tsenas key id:" + key).hexdigest()[:12]


def signature(payload: bytes, key: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def _same(claimed, expected: str) -> bool:
    """A constant-time comparison of a file's claimed HMAC (any JSON value, any text) with
    the expected hex digest."""
    return hmac.compare_digest(str(claimed).encode("utf-8", "replace"), expected.encode())


def _covered(header: dict, payload: bytes) -> bytes:
    """What a format-2 envelope's HMAC covers: its header fields and the payload."""
    return _canonical(header) + b"\n" + payload


def seal(payload: bytes) -> bytes:
    """The signed envelope of ``payload`` (the pickled algorithm); the HMAC covers the
    header's fields too (who signed, when, which key), so none can be swapped."""
    key = user_key()
    header = {
        "envelope": 2,
        "key_id": key_id(key),
        "user": getpass.getuser(),
        "signed": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    header["hmac_sha256"] = signature(_covered(header, payload), key)
    return MAGIC + json.dumps(header).encode() + b"\n" + payload


def _valid(header: dict, payload: bytes, key: bytes) -> bool:
    """Whether ``header``'s HMAC holds for ``key`` (format 1: over the payload only)."""
    covered = _covered(header, payload) if header.get("envelope") == 2 else payload
    return _same(header.get("hmac_sha256"), signature(covered, key))


def unseal(data: bytes) -> tuple[dict | None, bytes]:
    """(header or None for an unsigned file, payload); checks nothing."""
    if not data.startswith(MAGIC):
        return None, data
    line, _, payload = data[len(MAGIC) :].partition(b"\n")
    try:
        header = json.loads(line)
        if not isinstance(header, dict):
            raise ValueError("not an object")
    except ValueError:
        header = {"unreadable": True}
    return header, payload


def verify(data: bytes, path: Path, run_dir: Path) -> bytes:
    """The payload of a checkpoint this user signed; else one line naming ``tsenas trust``."""
    header, payload = unseal(data)
    remedy = (
        f"rule: only a checkpoint you wrote is unpickled (it runs code); if you trust this run directory, "
        f"`tsenas trust {run_dir}` shows what it holds and signs it"
    )
    if header is None:
        raise UntrustedCheckpoint(f"{path} is not signed (written by tsenas before 0.4, or by someone else); {remedy}")
    if not _valid(header, payload, user_key()):
        # the header's own claims (key, user, time) are not believed: they are what failed
        raise UntrustedCheckpoint(f"{path}: its signature does not hold for your key; {remedy}")
    return payload


def describe(data: bytes, path: Path) -> list[str]:
    """What ``tsenas trust`` shows before signing: size, hash and who signed it, if anyone."""
    header, payload = unseal(data)
    lines = [f"checkpoint  {path} ({len(data):,} bytes, sha256 {hashlib.sha256(payload).hexdigest()[:16]}...)"]
    if header is None:
        lines.append("signature   none (unsigned)")
    elif _valid(header, payload, user_key()):
        lines.append(
            f"signature   valid: yours (key {clean(header.get('key_id', '?'))}, user "
            f"{clean(header.get('user', '?'))}, {clean(header.get('signed', '?'))})"
        )
    else:  # what an invalid header claims (its user, its key) is not shown: it proves nothing
        lines.append("signature   NOT valid for your key (its claimed signer is not shown: unverified)")
    lines.append(f"modified    {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(path.stat().st_mtime))}")
    return lines


#: The run-directory files whose contents steer a resume (settings, where it connects,
#: what it skips): a resume reads none of them before the signed manifest vouches for it.
STEERING = ("config.json", "store/supernet.json", "final/report.json")
MANIFEST = "manifest.json"
_PRINTABLE = re.compile(r"[^\x20-\x7e]")


def clean(value) -> str:
    """A field of an untrusted file as it may be printed: no control or escape codes, no
    non-ASCII look-alikes, at most 80 characters."""
    text = _PRINTABLE.sub("?", str(value))
    return text if len(text) <= 80 else text[:77] + "..."


def _canonical(header: dict) -> bytes:
    return json.dumps({k: v for k, v in header.items() if k != "hmac_sha256"}, sort_keys=True).encode()


def _digest(run_dir: Path, name: str) -> str | None:
    from .rundir import read_bytes

    path = Path(run_dir) / name
    return hashlib.sha256(read_bytes(path)).hexdigest() if path.is_file() or path.is_symlink() else None


def sign_manifest(run_dir: str | Path) -> None:
    """Sign the hashes of the :data:`STEERING` files ``run_dir`` holds, with this user's key;
    the HMAC covers every field of the manifest (who signed, when, which key)."""
    from .rundir import atomic_write

    key = user_key()
    files = {name: digest for name in STEERING if (digest := _digest(Path(run_dir), name)) is not None}
    header = {
        "format": 1,
        "files": files,
        "key_id": key_id(key),
        "user": getpass.getuser(),
        "signed": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    header["hmac_sha256"] = signature(_canonical(header), key)
    atomic_write(Path(run_dir) / MANIFEST, json.dumps(header, indent=1).encode())


def verify_manifest(run_dir: str | Path) -> None:
    """Nothing when this user's signed manifest vouches for every :data:`STEERING` file
    ``run_dir`` holds; else one line naming ``tsenas trust RUN_DIR``."""
    from .rundir import read_bytes

    run_dir = Path(run_dir)
    remedy = (
        f"rule: a resume reads only settings you signed; if you trust this run directory, "
        f"`tsenas trust {run_dir}` shows its settings and signs them"
    )
    path = run_dir / MANIFEST
    if not (path.is_file() or path.is_symlink()):
        raise UntrustedCheckpoint(f"{path} does not exist (a run of tsenas before 0.7, or not yours); {remedy}")
    try:
        header = json.loads(read_bytes(path))
        ok = isinstance(header, dict) and isinstance(header.get("files"), dict)
    except (ValueError, UnicodeDecodeError):
        ok = False
    if not ok or not _same(header.get("hmac_sha256"), signature(_canonical(header), user_key())):
        raise UntrustedCheckpoint(f"{path}: its signature does not hold for your key; {remedy}")
    for name in STEERING:
        digest = _digest(run_dir, name)
        if digest is not None and header["files"].get(name) != digest:
            raise UntrustedCheckpoint(f"{run_dir / name} changed since you signed the run directory; {remedy}")


__all__ = [
    "KEY_ENV",
    "MANIFEST",
    "STEERING",
    "UntrustedCheckpoint",
    "clean",
    "describe",
    "key_path",
    "seal",
    "sign_manifest",
    "unseal",
    "user_key",
    "verify",
    "verify_manifest",
]
