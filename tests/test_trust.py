"""Signed checkpoints: nothing is unpickled unless this user's key signed it."""

import os
import stat
import subprocess
import sys

import pytest

from tsenas_pymoo import trust
from tsenas_pymoo.trust import UntrustedCheckpoint, seal, unseal, verify


def cli(*args, **kw):
    return subprocess.run(
        [sys.executable, "-m", "tsenas_pymoo.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
        **kw,
    )


def one_line(proc, text, code=2):
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == code and len(lines) == 1 and text in lines[0], proc.stderr[-2000:]


def test_sealed_payload_verifies_and_the_key_is_private(tmp_path):
    sealed = seal(b"the algorithm")
    assert verify(sealed, tmp_path / "c", tmp_path) == b"the algorithm"
    assert stat.S_IMODE(os.stat(trust.key_path()).st_mode) == 0o600


def test_a_key_appears_only_whole_and_the_first_one_made_wins(tmp_path, monkeypatch):
    """A second process (here a thread) asks for the key while the first is half-way
    through making it: it must neither read a half-written key nor end up with a key other
    than the one the first process signs with (the first version wrote into the final
    file, so a reader at that moment met an empty key)."""
    import secrets
    import threading

    monkeypatch.setenv(trust.KEY_ENV, str(tmp_path / "k" / "checkpoint.key"))
    started, release, real = threading.Event(), threading.Event(), secrets.token_bytes

    def slow(n):
        if threading.current_thread().name == "first":
            started.set()
            release.wait(30)
        return real(n)

    monkeypatch.setattr(trust.secrets, "token_bytes", slow)
    keys = {}
    first = threading.Thread(target=lambda: keys.setdefault("first", trust.user_key()), name="first")
    first.start()
    assert started.wait(30)
    try:
        keys["second"] = trust.user_key()  # while the first is making its key
    finally:
        release.set()
        first.join(30)
    assert keys["first"] == keys["second"] and len(keys["first"]) == 64
    assert [p.name for p in (tmp_path / "k").iterdir()] == ["checkpoint.key"]  # no draft left


def test_flipped_byte_missing_signature_and_foreign_key_are_refused(tmp_path, monkeypatch):
    sealed = bytearray(seal(b"the algorithm, pickled"))
    sealed[-3] ^= 1
    with pytest.raises(UntrustedCheckpoint, match=r"does not hold for your key.*tsenas trust"):
        verify(bytes(sealed), tmp_path / "c", tmp_path)
    with pytest.raises(UntrustedCheckpoint, match=r"is not signed.*tsenas trust"):
        verify(b"\x80\x04plain pickle", tmp_path / "c", tmp_path)
    monkeypatch.setenv(trust.KEY_ENV, str(tmp_path / "colleague.key"))
    foreign = seal(b"their algorithm")
    monkeypatch.undo()
    # the same words as a tampered file: a header's claimed key proves nothing, so it steers no message
    with pytest.raises(UntrustedCheckpoint, match="does not hold for your key"):
        verify(foreign, tmp_path / "c", tmp_path)
    header, payload = unseal(foreign)
    assert payload == b"their algorithm" and header["key_id"] != trust.key_id(trust.user_key())


def test_resume_refuses_a_tampered_or_unsigned_checkpoint_until_trusted(tiny_run):
    run = tiny_run
    path = run / "checkpoint.pkl"
    header, payload = unseal(path.read_bytes())
    assert header is not None and header["key_id"] == trust.key_id(trust.user_key())
    tampered = bytearray(path.read_bytes())
    tampered[-10] ^= 0xFF
    path.write_bytes(bytes(tampered))
    refused = cli("search", "--resume", str(run), "-q")
    one_line(refused, f"tsenas trust {run}")
    assert path.read_bytes() == bytes(tampered)  # nothing rewritten
    path.write_bytes(payload)  # an unsigned (pre-0.4) checkpoint
    one_line(cli("search", "--resume", str(run), "-q"), "is not signed")
    one_line(cli("trust", str(run)), "no terminal to ask; rule: pass --yes")
    shown = cli("trust", str(run), "--yes")
    assert shown.returncode == 0 and "signature   none (unsigned)" in shown.stdout and "signed" in shown.stdout
    resumed = cli("search", "--resume", str(run), "-q")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
