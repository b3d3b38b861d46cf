"FGI: DARM equals its per-pixel reference, the method trains on gaze alone (masks never read), the text ablation reaches the model, the papermill command runs and reports all three predictions."
import json

import numpy as np
import pytest
import torch

from gazekit.data import load_dataset, write_mini_kvasir
from gazekit.report import report
from gazekit.runs import run_dir
from gazekit.grid import run_grid
from gazekit.methods.core import get_method
from gazekit.methods.fgi import FGI, darm_candidates, darm_mask, darm_mask_blockwise, darm_mask_loop
from gazekit.train import TrainConfig, Trainer


@pytest.mark.parametrize("B,H,W,p,cover,seed", [(3, 24, 31, 0.2, 0.3, 0), (2, 17, 9, 0.6, 0.5, 1), (4, 30, 30, 0.02, 0.3, 2)])
def test_darm_equals_the_per_pixel_loop(B, H, W, p, cover, seed):
    g = torch.Generator().manual_seed(seed)
    reg = torch.rand(B, H, W, generator=g) < p
    cand = darm_candidates(reg, 200, generator=g)
    fast = darm_mask(reg, cover, candidates=cand, chunk=13)
    assert np.array_equal(fast.numpy(), darm_mask_loop(reg, cover, cand))
    assert np.array_equal(fast.numpy(), darm_mask_blockwise(reg, cover, cand))
    n = reg.flatten(1).sum(1)
    covered = (fast & reg).flatten(1).sum(1)
    assert ((covered >= cover * n) | (n == 0)).all()
    assert not fast[n == 0].any()


@pytest.mark.parametrize("darm", ["band", "disagree"])
def test_trains_on_gaze_alone_and_the_masks_are_never_read(gaze_only_kvasir, darm):
    root = gaze_only_kvasir
    m = get_method("fgi", width=0.125, norm="batch", text_dim=32, darm=darm)
    assert m.supervision == "gaze"
    opts = FGI.data_needs("kvasir-seg", text_dim=32).load
    tr = load_dataset("kvasir-seg", root, split="train", supervision="gaze", size=32, cache=False, **opts)
    te = load_dataset("kvasir-seg", root, split="test", supervision="gaze", size=32, cache=False, **opts)
    t = Trainer(m, tr, te, TrainConfig(iterations=4, batch_size=2, optimizer="adam", lr=1e-3, eval_every=4, progress=False, log_every=1))
    t.fit()
    logs = [h for h in t.history if "loss" in h]
    assert {"teacher", "student", "cwc_t", "cwc_s", "afc", "ramp"} <= set(logs[-1])
    assert logs[0]["ramp"] < logs[-1]["ramp"] <= 1                               # the ramp follows the run's length
    for head in FGI.heads:
        assert 0 <= t.evaluate(head=head)["dice"] <= 1


def test_text_ablation_changes_what_the_teacher_reads(tmp_path):
    from gazekit.data import collate
    from gazekit.text import derangement
    root = write_mini_kvasir(tmp_path / "data", n=8)
    kw = dict(split="train", size=32, cache=False, augment=False)
    real = load_dataset("kvasir-seg", root, **kw, **FGI.data_needs("kvasir-seg", text_dim=16).load)
    shuf = load_dataset("kvasir-seg", root, **kw, **FGI.data_needs("kvasir-seg", text="shuffled", text_dim=16).load)
    none = load_dataset("kvasir-seg", root, **kw, **FGI.data_needs("kvasir-seg", text="none").load)
    assert "text" not in none[0] and get_method("fgi", width=0.125, text="none").fusion is None
    perm = derangement(len(real))
    assert all(torch.equal(shuf[i]["text"], real[int(perm[i])]["text"]) for i in range(len(real)))   # same embeddings, other images
    assert all(torch.equal(shuf[i]["image"], real[i]["image"]) for i in range(len(real)))
    torch.manual_seed(0)
    m = get_method("fgi", width=0.125, text_dim=16, predict="teacher").eval()
    b = collate([real[i] for i in range(4)])
    other = {**b, "text": torch.randn_like(b["text"])}
    with torch.no_grad(): assert (m.predict(b) - m.predict(other)).abs().max() > 0    # the teacher (the default here) reads its text
    with torch.no_grad(): assert torch.equal(m.predict(b, head="student"), m.predict(other, head="student"))   # the student does not


def test_smoke_run_through_papermill_reports_teacher_student_and_mean(tmp_path):
    g = run_grid("synthetic", ["fgi", ("fgi", {"text": "none"})], profile="smoke", reports=tmp_path, say=lambda *a: None)
    assert g.status.tolist() == ["ok", "ok"], g.error.tolist()
    out = run_dir(tmp_path, "synthetic", "fgi", "paper", 0)
    m = json.loads((out / "metrics.json").read_text())
    assert m["predict_mode"] == "student" and set(m["modes"]) == {"teacher", "student", "mean"}
    assert m["modes"]["student"] == m["test"]
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["spec"]["data_options"]["text"] == "gaze" and cfg["spec"]["data_options"]["thresholds"] == [0.5, 0.3]
    assert (out / "fgi.png").stat().st_size > 5_000
    md = report(tmp_path)["markdown"].read_text()
    assert "fgi [teacher]" in md and "fgi [mean]" in md and "fgi+text=none" in md


def test_isic_command_on_files_written_here(tmp_path):
    "`gazekit reproduce isic2018 --methods fgi` on ISIC-layout files: images, masks, simulated gaze."
    from test_data import write_isic
    root = write_isic(tmp_path / "data", n=6, size=40)
    g = run_grid("isic2018", ["fgi"], profile="smoke", reports=tmp_path / "reports", data_root=str(root), say=lambda *a: None)
    assert g.status.tolist() == ["ok"], g.error.tolist()
    m = json.loads((run_dir(tmp_path / "reports", "isic2018", "fgi", "paper", 0) / "metrics.json").read_text())
    assert m["test"]["n_images"] >= 1 and 0 <= m["test"]["dice"] <= 1
