import subprocess
import sys

from tsenas_pymoo.cli import main


def test_describe_reports_cost(capsys):
    assert main(["describe", "3", "7", "3", "--init-channels", "4"]) == 0
    out = capsys.readouterr().out
    assert "DARTS reduction" in out and "params" in out and "FLOPs" in out


def run(*args):
    return subprocess.run([sys.executable, "-m", "tsenas_pymoo.cli", *args], capture_output=True, text=True)


def test_bad_input_is_one_line_and_exit_2():
    proc = run("describe", "3", "9")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "tsenas describe: error: cell 2: cell code 9 is out of range; rule: codes are 1-8 (Table II)"]
    proc = run("describe", "3", "--input-shape", "8x8")
    assert proc.returncode == 2 and "CxHxW" in proc.stderr and "Traceback" not in proc.stderr


def test_help():
    assert run("--help").returncode == 0 and run("describe", "--help").returncode == 0
