"The `gazekit` command as a user runs it: help, exit codes, one-line errors, the demo."
import subprocess, sys
from pathlib import Path

from gazekit.data import write_mini_kvasir

GAZEKIT = str(Path(sys.executable).parent / "gazekit")


def run(*args):
    return subprocess.run([GAZEKIT, *args], capture_output=True, text=True, timeout=300)


def test_help():
    r = run("--help")
    assert r.returncode == 0 and "demo" in r.stdout and "data" in r.stdout
    assert "--dataset" in run("data", "check", "--help").stdout


def test_data_check_ok_then_broken(tmp_path):
    mini = write_mini_kvasir(tmp_path / "mini")
    r = run("data", "check", str(mini), "--dataset", "kvasir-seg")
    assert r.returncode == 0 and "OK" in r.stdout
    (mini / "kvasir-seg" / "masks" / "img001.jpg").unlink()
    r = run("data", "check", str(mini), "--dataset", "kvasir-seg")
    assert r.returncode == 1 and "img001" in r.stdout and "mask file not found" in r.stdout


def test_error_is_one_line_and_nonzero(tmp_path):
    r = run("data", "check", str(tmp_path / "absent"), "--dataset", "kvasir-seg")
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and r.stderr.startswith("gazekit: error:")
    assert "Traceback" not in r.stderr


def test_demo_writes_figures(tmp_path):
    r = run("demo", "--out", str(tmp_path / "demo"), "--n-images", "2")
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in (tmp_path / "demo").iterdir())
    assert names == ["gaze_grid.png", "pseudo_mask_quality.csv", "pseudo_mask_quality.md", "track_buildup.png"]
    assert "| 0.5 |" in (tmp_path / "demo" / "pseudo_mask_quality.md").read_text()
