"""Your own data (issue 22, item 3): a folder of images, masks and an EyeLink report, built as a user would; `gazekit data
check` accepts it, every registered method trains on it (a gaze method's batches never holding a mask), and one run goes
end to end through the command line."""
import json, math, subprocess, sys
from pathlib import Path

import pytest
import torch

from gazekit.cli import main
from gazekit.data import write_example_folder
from gazekit.methods.core import load_methods
from gazekit.runs import build_data, build_method, resolve_run
from gazekit.train import Trainer
from gazekit.core import read_json

pytestmark = pytest.mark.xdist_group("folder")     # under `pytest -n`, one process runs this file: its module fixtures are made once

METHOD_NAMES = load_methods()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_example_folder(tmp_path_factory.mktemp("mine"), n=10)


def test_data_check_accepts_the_folder_and_names_a_broken_file(folder, tmp_path, capsys):
    assert main(["data", "check", str(folder), "--dataset", "folder", "--decode"]) == 0
    out = capsys.readouterr().out
    assert "fixations on 10 images" in out and "OK" in out
    import shutil
    bad = tmp_path/"bad"; shutil.copytree(folder, bad)
    (bad/"images"/"case04.png").write_bytes(b"not an image")
    assert main(["data", "check", str(bad), "--dataset", "folder", "--decode"]) == 1
    assert "case04.png" in capsys.readouterr().out


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_every_method_trains_on_the_folder(name, folder):
    spec = resolve_run(dataset="folder", data_root=str(folder), method=name, profile="smoke", device="cpu", iterations=2, eval_every=2)
    data = build_data(spec)
    m = build_method(spec, data)
    seen = []
    step = m.training_step
    m.training_step = lambda batch, s: (seen.append("mask" in batch), step(batch, s))[1]
    t = Trainer(m, data["train"], data["eval"], spec.train_config(progress=False, log_every=1))
    t.fit()
    losses = [h["loss"] for h in t.history if "loss" in h]
    assert len(losses) == 2 and all(math.isfinite(l) for l in losses)
    if m.supervision == "gaze": assert not any(seen), "a weakly supervised method saw a mask"
    assert 0 <= t.evaluate()["dice"] <= 1


def test_a_smoke_run_through_the_command_line(folder, tmp_path):
    out = tmp_path/"run"
    r = subprocess.run([str(Path(sys.executable).parent/"gazekit"), "train", "folder", "--method", "gaze", "--profile", "smoke",
                        "--data-root", str(folder), "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    m = read_json(out/"metrics.json")
    assert m["status"] == "ok" and m["dataset"] == "folder" and 0 <= m["test"]["dice"] <= 1
