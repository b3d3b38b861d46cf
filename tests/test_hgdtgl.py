"Semi-supervised methods on ACDC-layout files: half-labelled batches, unlabelled masks never in a batch, per-volume scoring, the papermill command."
import json

import pytest
import torch

from gazekit.core import IGNORE_INDEX
from gazekit.data import load_dataset
from gazekit.runs import run_dir
from gazekit.grid import run_grid
from gazekit.methods.core import get_method
from gazekit.train import TrainConfig, Trainer, training_batch


@pytest.mark.parametrize("name,opts", [("labeled", {}), ("mt", {}), ("hgdtgl", {}), ("hgdtgl", {"gazemix": False, "gaze_loss": False}),
                                       ("hgdtgl", {"mix_ramp": False, "mix_rectify": False})])
def test_semi_methods_train_and_score_volumes(tmp_path, name, opts):
    from test_data import write_acdc
    root = write_acdc(tmp_path, n_train=8)
    m = get_method(name, num_classes=4, in_channels=1, width=0.0625, norm="batch", labeled=4, **opts)
    kw = dict(size=24, cache=False, **type(m).data_needs("acdc", labeled=4).load)
    tr = load_dataset("acdc", root, split="train", supervision="semi", **kw)
    te = load_dataset("acdc", root, split="test", supervision="semi", **kw)
    for s in range(3):                                   # the unlabelled samples never carry a mask into a batch
        b = training_batch(tr, 4, s, 0, m.labeled_fraction)
        assert (b["mask"][~b["labeled"]] == IGNORE_INDEX).all() and b["labeled"].sum() == round(4 * m.labeled_fraction)
    t = Trainer(m, tr, te, TrainConfig(iterations=3, batch_size=4, optimizer="adam", lr=1e-3, eval_every=3, progress=False, log_every=1))
    t.fit()
    res = t.evaluate()
    assert res["n_images"] == 1 and res["per_image"]["id"].tolist() == ["patient101_frame01"]    # one 3D volume
    assert 0 <= res["dice"] <= 1


def test_acdc_smoke_run_through_papermill(tmp_path):
    from test_data import write_acdc
    root = write_acdc(tmp_path / "data", n_train=8)
    g = run_grid("acdc", [("hgdtgl", {"labeled": 2})], profile="smoke", reports=tmp_path / "reports", data_root=str(root), say=lambda *a: None)
    assert g.status.tolist() == ["ok"], g.error.tolist()
    out = run_dir(tmp_path / "reports", "acdc", "hgdtgl+labeled=2", "clean", 0)    # chosen on val.list, as ACDC's papers did
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["spec"]["data_options"]["n_labeled"] == 2
    rec = json.loads((out / "metrics.json").read_text())
    assert rec["test"]["n_images"] == 1 and "val_dice" in rec


@pytest.mark.parametrize("split", [True, False])
def test_mean_teacher_normalises_labelled_and_unlabelled_apart(split):
    "With split_norm (the default), what the student outputs for a labelled slice cannot depend on the unlabelled slices of its batch."
    torch.manual_seed(0)
    m = get_method("mt", num_classes=4, in_channels=1, width=0.0625, norm="batch", split_norm=split).train()
    lab = torch.tensor([True, True, False, False])
    x = torch.randn(4, 1, 16, 16)
    x2 = x.clone(); x2[~lab] = x2[~lab] * 3 + 1              # other unlabelled images
    a, b = m._student(x, lab)["logits"], m._student(x2, lab)["logits"]
    assert torch.allclose(a[lab], b[lab], atol=1e-6) == split
    assert not torch.allclose(a[~lab], b[~lab])


def test_gazemix_teacher_labels_ramp_up_by_default_and_flat_when_asked():
    m = get_method("hgdtgl", num_classes=4, in_channels=1, width=0.0625, mix_weight=0.5, rampup=100)
    assert m.mix_ramp and m.mix_rectify                      # gazekit's GazeMix is the default; the paper's is mix_ramp=False, mix_rectify=False
    w = [m.mix_pseudo_weight(s) for s in (0, 50, 100, 500)]
    assert w[0] < 0.005 and w[0] < w[1] < w[2] and w[2] == w[3] == 0.5
    flat = get_method("hgdtgl", num_classes=4, in_channels=1, width=0.0625, mix_ramp=False, mix_weight=0.5, rampup=100)
    assert {flat.mix_pseudo_weight(s) for s in (0, 50, 500)} == {0.5}
