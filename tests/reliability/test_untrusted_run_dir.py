"""A run directory is untrusted input (issue 51): each reproduction of the issue ends in
one line, runs no code, writes nothing outside the run directory and follows no link."""

import json
import os

import pytest

from tests.test_trust import cli, one_line
from tsenas_pymoo import rundir, trust
from tsenas_pymoo.trust import UntrustedCheckpoint, seal, sign_manifest, verify_manifest


def edit_config(run, **changes):
    path = run / "config.json"
    path.write_text(json.dumps(dict(json.loads(path.read_text()), **changes)))


# -- 1. what steers a resume is signed -------------------------------------------------------
def test_an_unsigned_scheduler_in_config_json_is_refused_before_any_connection(tiny_run):
    """The reproduction: config.json names a scheduler; the resume must not connect."""
    edit_config(tiny_run, scheduler="tcp://127.0.0.1:9")
    (tiny_run / "summary.json").unlink()
    one_line(cli("search", "--resume", str(tiny_run)), "config.json changed since you signed")


def test_a_run_directory_without_a_manifest_needs_trust_and_then_resumes(tiny_run):
    (tiny_run / trust.MANIFEST).unlink()
    one_line(cli("search", "--resume", str(tiny_run)), f"tsenas trust {tiny_run}")
    proc = cli("trust", str(tiny_run), "--yes")
    assert proc.returncode == 0 and "scheduler" in proc.stdout and "dataset" in proc.stdout, proc.stderr
    verify_manifest(tiny_run)


def test_every_steering_file_is_covered_and_the_manifest_header_is_under_the_hmac(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "final").mkdir()
    (tmp_path / "final" / "report.json").write_text("{}")
    sign_manifest(tmp_path)
    verify_manifest(tmp_path)
    (tmp_path / "final" / "report.json").write_text('{"test_accuracy": 1.0}')
    with pytest.raises(UntrustedCheckpoint, match=r"report\.json changed"):
        verify_manifest(tmp_path)
    sign_manifest(tmp_path)
    manifest = json.loads((tmp_path / trust.MANIFEST).read_text())
    (tmp_path / trust.MANIFEST).write_text(json.dumps(dict(manifest, user="someone-else")))
    with pytest.raises(UntrustedCheckpoint, match="does not hold for your key"):
        verify_manifest(tmp_path)


# -- 2. never follow a link, never guess a name ------------------------------------------------
def test_writes_never_go_through_a_planted_link_at_a_guessable_name(tmp_path):
    outside = tmp_path / "victim"
    outside.write_text("precious")
    run = tmp_path / "run"
    run.mkdir()
    for pid in (os.getpid(), os.getpid() + 1):  # the names the old writer used
        (run / f".config.json.{pid}.tmp").symlink_to(outside)
    rundir.atomic_write(run / "config.json", b"{}")
    assert outside.read_text() == "precious" and (run / "config.json").read_bytes() == b"{}"


def test_a_link_at_the_target_is_refused_and_the_file_behind_it_untouched(tmp_path):
    outside = tmp_path / "bashrc"
    outside.write_text("precious")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "best_genotype.json").symlink_to(outside)
    with pytest.raises(rundir.LinkedEntry, match=r"best_genotype\.json is a symbolic link"):
        rundir.atomic_write(tmp_path / "run" / "best_genotype.json", b"{}")
    assert outside.read_text() == "precious"


def test_plot_refuses_a_run_directory_holding_a_link(tiny_run, tmp_path):
    outside = tmp_path / "victim.png"
    outside.write_bytes(b"precious")
    (tiny_run / "convergence.png").unlink()
    (tiny_run / "convergence.png").symlink_to(outside)
    one_line(cli("plot", str(tiny_run)), "convergence.png is a symbolic link")
    assert outside.read_bytes() == b"precious"


def test_resume_refuses_a_linked_weight_folder_and_deletes_nothing_behind_it(tiny_run, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.safetensors").write_bytes(b"x")
    trained = tiny_run / "store" / "trained"
    for f in trained.iterdir():
        f.unlink()
    trained.rmdir()
    trained.symlink_to(elsewhere, target_is_directory=True)
    (tiny_run / "summary.json").unlink()
    one_line(cli("search", "--resume", str(tiny_run)), "is a symbolic link")
    assert (elsewhere / "keep.safetensors").exists()


def test_trust_refuses_a_linked_checkpoint_and_copies_nothing(tiny_run, tmp_path):
    secret = tmp_path / "secret"
    secret.write_bytes(b"private")
    secret.chmod(0o600)
    (tiny_run / "checkpoint.pkl").unlink()
    (tiny_run / "checkpoint.pkl").symlink_to(secret)
    one_line(cli("trust", str(tiny_run), "--yes"), "checkpoint.pkl is a symbolic link")
    assert (tiny_run / "checkpoint.pkl").is_symlink() and secret.read_bytes() == b"private"


def test_stale_temporary_files_are_cleaned_and_links_among_them_left_alone(tmp_path):
    (tmp_path / ".checkpoint.pkl.123.tmp").write_bytes(b"half")
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / ".unit.safetensors.9.ab.tmp").write_bytes(b"half")
    removed = rundir.clean_temporaries(tmp_path)
    assert sorted(p.name for p in removed) == [".checkpoint.pkl.123.tmp", ".unit.safetensors.9.ab.tmp"]
    assert rundir.inside(tmp_path / "store" / "a", tmp_path) and not rundir.inside(tmp_path.parent / "a", tmp_path)


# -- 3. the trust screen cannot be faked ------------------------------------------------------
def test_the_trust_screen_shows_no_escape_codes_and_no_claims_of_an_invalid_signature(tmp_path):
    sealed = seal(b"payload")
    magic, header, payload = sealed[: len(trust.MAGIC)], *sealed[len(trust.MAGIC) :].split(b"\n", 1)
    forged = json.loads(header)
    forged.update(user="\x1b[2K\rsignature   valid: yours", hmac_sha256="0" * 64)
    data = magic + json.dumps(forged).encode() + b"\n" + payload
    (tmp_path / "checkpoint.pkl").write_bytes(data)
    lines = trust.describe(data, tmp_path / "checkpoint.pkl")
    assert not any("\x1b" in line or "valid: yours" in line for line in lines)
    assert any("NOT valid" in line for line in lines)
    assert trust.clean("a\x1b[31mb\u202e") == "a?[31mb?"


def test_the_checkpoint_header_fields_are_under_the_hmac(tmp_path):
    sealed = seal(b"payload")
    magic, header, payload = sealed[: len(trust.MAGIC)], *sealed[len(trust.MAGIC) :].split(b"\n", 1)
    swapped = json.dumps(dict(json.loads(header), user="someone else")).encode()
    with pytest.raises(UntrustedCheckpoint):
        trust.verify(magic + swapped + b"\n" + payload, tmp_path / "c", tmp_path)


# -- 4. every value checked where it enters ----------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "nan"], "lr"),
        (["--batch-size", "100000000000000000000"], "batch_size"),
        (["--lr", "-5"], "lr=-5.0; rule: from"),
        (["--threads", "1000000"], "threads=1000000; rule: from 1 to 4096"),
        (["--seed", "-1"], "seed=-1; rule: from 0"),
    ],
)
def test_bad_values_are_one_line_before_anything_runs(tmp_path, args, message):
    proc = cli("search", "--out", str(tmp_path / "run"), *args)
    one_line(proc, message)
    assert not (tmp_path / "run" / "config.json").exists()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), None, "x", 1e30])
def test_a_signed_config_json_with_a_bad_value_is_one_line(tiny_run, value):
    edit_config(tiny_run, epochs=value)
    sign_manifest(tiny_run)
    (tiny_run / "summary.json").unlink()
    one_line(cli("search", "--resume", str(tiny_run)), "epochs=")


def test_a_signed_config_json_that_changes_what_the_search_computes_is_one_line(tiny_run):
    """Found by the config.json fuzzer: a width the checkpointed search did not run with
    (here, a signed edit) loaded stored weights of other shapes (a traceback)."""
    edit_config(tiny_run, init_channels=8)
    sign_manifest(tiny_run)
    (tiny_run / "summary.json").unlink()
    one_line(
        cli("search", "--resume", str(tiny_run)),
        "init_channels=8, but the checkpointed search ran with init_channels=4",
    )


def test_a_signed_config_json_may_change_where_and_how_the_search_runs(tiny_run):
    edit_config(tiny_run, threads=2, wait_policy="passive")
    sign_manifest(tiny_run)
    (tiny_run / "summary.json").unlink()
    proc = cli("search", "--resume", str(tiny_run), "-q")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("address", ["\x1b[2Jsigned: yours", "tcp://host", "host:port", "tcp://a b:1"])
def test_a_scheduler_that_is_not_an_address_is_one_line_before_anything_is_written(tiny_run, address):
    """Found by the fuzzer: such a value reached Dask (``int(' yours')``) after config.json was rewritten."""
    edit_config(tiny_run, scheduler=address)
    sign_manifest(tiny_run)
    before = (tiny_run / "config.json").read_bytes()
    one_line(cli("search", "--resume", str(tiny_run)), "scheduler=")
    assert (tiny_run / "config.json").read_bytes() == before


def test_an_evaluation_of_nan_is_refused_by_the_archive_in_one_line(tmp_path):
    from tsenas_pymoo import NetworkGenome
    from tsenas_pymoo.evaluation.archive import Archive

    archive = Archive(tmp_path / "a.sqlite")
    with pytest.raises(ValueError, match=r"accuracy=nan; rule: a number in \[0, 1\]"):
        archive.put("k", NetworkGenome.from_cells([1, 5]), {"accuracy": float("nan"), "status": "ok"})


# -- 5. the local cluster talks only to this process ----------------------------------------------
def test_the_local_cluster_refuses_a_client_without_its_credentials():
    pytest.importorskip("distributed")
    from distributed import Client

    from tsenas_pymoo.evaluation.distributed import local_client

    client = local_client(1)
    try:
        address = client.scheduler.address
        assert address.startswith("tls://127.0.0.1:")
        assert client.dashboard_link.startswith("http://127.0.0.1:")
        assert client.submit(sum, [1, 2]).result() == 3
        for attempt in (address, address.replace("tls://", "tcp://")):
            with pytest.raises(Exception):  # noqa: B017 - TLS or plain, without the credentials: no session
                Client(attempt, timeout=3)
    finally:
        client.close()


def test_a_non_ascii_hmac_is_refused_not_a_type_error(tmp_path):
    sealed = seal(b"payload")
    magic, header, payload = sealed[: len(trust.MAGIC)], *sealed[len(trust.MAGIC) :].split(b"\n", 1)
    odd = json.dumps(dict(json.loads(header), hmac_sha256="\u00e9" * 64)).encode()
    with pytest.raises(UntrustedCheckpoint, match="does not hold"):
        trust.verify(magic + odd + b"\n" + payload, tmp_path / "c", tmp_path)


@pytest.mark.parametrize("fmt", [None, float("inf"), "2", True])
def test_a_signed_config_json_with_a_bad_format_is_one_line(tmp_path, fmt):
    from tsenas_pymoo.run import SearchRun

    (tmp_path / "config.json").write_text(json.dumps({"format": fmt}))
    sign_manifest(tmp_path)
    with pytest.raises(ValueError, match=r"format=.*rule: a whole number"):
        SearchRun.resume(tmp_path)


def test_a_run_directory_path_that_is_not_utf8_is_refused_before_training(tmp_path):
    from tsenas_pymoo.config import SearchConfig
    from tsenas_pymoo.run import SearchRun

    with pytest.raises(ValueError, match="not valid UTF-8"):
        SearchRun(os.fsdecode(bytes(tmp_path) + b"/run\xff"), SearchConfig())


def test_an_image_pil_refuses_is_one_line_naming_it():
    from PIL import Image

    from tsenas_pymoo.evaluation.data import _image

    def bomb(path):
        raise Image.DecompressionBombError("too many pixels")

    with pytest.raises(ValueError, match=r"dataset image big\.png: cannot be read \(DecompressionBombError\)"):
        _image(bomb, "big.png")
