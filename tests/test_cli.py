"The `gazekit` command as a user runs it: help, exit codes, one-line errors, the demo."
import subprocess, sys
from pathlib import Path

from gazekit.data import write_mini_kvasir

GAZEKIT = str(Path(sys.executable).parent / "gazekit")


def run(*args):
    return subprocess.run([GAZEKIT, *args], capture_output=True, text=True, timeout=300)


def run_here(capsys, *args):
    "The command's `main` in this process (what `run` does without a new interpreter's seconds of imports)."
    from types import SimpleNamespace
    from gazekit.cli import main
    try: rc = main(list(args))
    except SystemExit as e: rc = e.code
    out = capsys.readouterr()
    return SimpleNamespace(returncode=rc, stdout=out.out, stderr=out.err)


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


def test_demo_trains_and_reports(tmp_path):
    "The demo as the README runs it, on the smoke profile: gaze figures, one papermill run per method, the table."
    out = tmp_path / "demo"
    r = run("demo", "--out", str(out), "--n-images", "2", "--profile", "smoke", "--methods", "full,gaze")
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in out.iterdir())
    for n in ["gaze_grid.png", "pseudo_mask_quality.md", "track_buildup.png", "summary.md", "summary.csv", "results.csv", "dice.png", "runs"]:
        assert n in names, n
    assert "| 0.5 |" in (out / "pseudo_mask_quality.md").read_text()
    md = (out / "summary.md").read_text()
    assert "| full | paper (chosen on test) | – | 1 |" in md and "| gaze | paper (chosen on test) | heatmap | 1 |" in md
    for m in ("full", "gaze"):
        assert (out / "runs" / "synthetic" / m / "paper" / "seed0" / "train.ipynb").exists()


def test_train_bad_method_is_one_line(tmp_path):
    r = run("train", "synthetic", "--method", "gazemedsge", "--profile", "smoke", "--reports", str(tmp_path))
    assert r.returncode == 2 and r.stderr.startswith("gazekit: error:") and "unknown method" in r.stderr
    assert r.stderr.strip().count("\n") == 0


def test_train_dry_run_shows_the_resolved_recipe(capsys):
    "The paper profile as the released codes train: CRF gaze maps, fp32, their SGD; ACDC with SSL4MIS augmentation, chosen on val.list."
    import json
    for method, momentum, unit in (("gazemedseg", 0.99, "epoch"), ("gaze", 0.99, "epoch"), ("fgi", 0.9, "epoch")):
        r = run_here(capsys, "train", "kvasir-seg", "--method", method, "--profile", "paper", "--dry-run")
        assert r.returncode == 0, r.stderr
        plan = json.loads(r.stdout)
        assert (plan["data"]["gaze_map"], plan["precision"], plan["size"], plan["batch_size"], plan["iterations"]) == ("crf", "fp32", 224, 8, 15000)
        assert (plan["optimizer"]["optimizer"], plan["optimizer"]["momentum"], plan["optimizer"]["schedule_unit"]) == ("sgd", momentum, unit)
        assert plan["protocol"] == "paper" and plan["data"]["augment"] == "flips"
    plan = json.loads(run_here(capsys, "train", "acdc", "--method", "hgdtgl", "--profile", "paper", "--dry-run").stdout)
    assert (plan["data"]["augment"], plan["protocol"], plan["size"], plan["optimizer"]["schedule"]) == ("ssl4mis", "clean", 256, "poly")
    assert "val.list" in plan["selection"]
    plan = json.loads(run_here(capsys, "train", "kvasir-seg", "--method", "gaze", "--profile", "quick", "--dry-run").stdout)
    assert plan["data"]["gaze_map"] == "heatmap"                      # the CPU profile keeps the raw heatmap, and says so
    assert plan["protocol"] == "clean"                                # and chooses on validation
    r = run_here(capsys, "train", "kvasir-seg", "--method", "gaze", "--profile", "paper", "--dry-run", "--train-option", "precision=fp16")
    assert r.returncode == 2 and "precision" in r.stderr
