"""The method contract, checked on every registered method: a fifth method gets all of it by registering.

For each method: a smoke run trains, every named prediction has the right shape, a gaze method's batches never
hold a mask and a semi-supervised one's hold only the labelled samples', an interrupted run resumes to the same
weights, the checkpoint loads with weights_only=True, and the method trains on a timm encoder (in process, and
through the CLI for all of them at once).
"""
import math

import pytest
import torch

from gazekit.core import IGNORE_INDEX, SUPERVISION
from gazekit.runs import build_data, build_method, resolve_run
from gazekit.methods.core import METHODS, Method, DataNeeds, load_methods
from gazekit.train import Trainer

METHOD_NAMES = load_methods()


def _setup(name, **kw):
    spec = resolve_run(dataset="synthetic", method=name, profile="smoke", device="cpu", **kw)
    data = build_data(spec)
    return spec, data, build_method(spec, data)


def _trainer(spec, data, method, out=None):
    return Trainer(method, data["train"], data["eval"], spec.train_config(progress=False, log_every=1), out=out)


def test_every_method_is_registered_with_the_contract():
    assert {"full", "gaze", "gazemedseg", "fgi", "gradtrack", "labeled", "mt", "hgdtgl"} <= set(METHOD_NAMES)
    for name in METHOD_NAMES:
        cls = METHODS[name]
        assert issubclass(cls, Method) and cls.supervision in SUPERVISION
        assert isinstance(cls.data_needs("synthetic"), DataNeeds)
        assert isinstance(cls.report_notes({}), dict) and isinstance(cls.profiles, dict)
        assert not cls.heads or cls.default_head in cls.heads


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_smoke_run_trains_and_predicts_every_head(name, tmp_path):
    spec, data, m = _setup(name)
    seen = []
    step = m.training_step
    def spy(batch, s):
        seen.append({k: v.clone() if torch.is_tensor(v) else v for k, v in batch.items() if k in ("mask", "labeled")})
        return step(batch, s)
    m.training_step = spy
    t = _trainer(spec, data, m, tmp_path)
    t.fit()
    losses = [h["loss"] for h in t.history if "loss" in h]
    assert len(losses) == spec.iterations and all(math.isfinite(l) for l in losses)
    # what the method saw: never a mask under gaze supervision; under semi, only the labelled samples' masks
    assert len(seen) == spec.iterations
    if m.supervision == "gaze": assert all("mask" not in b for b in seen)
    if m.supervision == "semi":
        for b in seen:
            assert b["labeled"].any() and (b["mask"][~b["labeled"]] == IGNORE_INDEX).all()
            assert (b["mask"][b["labeled"]] != IGNORE_INDEX).all()
    # every named prediction: (B, C, H, W) logits at the input's size, from a batch without a mask
    from gazekit.data import collate
    b = {k: v for k, v in collate([data["test"][i] for i in range(2)]).items() if k != "mask"}
    channels = {1, 2} if m.num_classes == 2 else {m.num_classes}     # binary: one logit, or two softmax channels
    m.eval()
    with torch.no_grad():
        for head in (m.heads or (None,)):
            out = m.predict(b, head=head)
            assert out.shape[0] == 2 and out.shape[1] in channels and out.shape[2:] == b["image"].shape[-2:], (head, out.shape)
        assert torch.equal(m.predict(b), m.predict(b, head=m.default_head))
    # its own figures for a run's records draw without error
    import matplotlib.pyplot as plt
    for fig in m.figures(data["test"], n=1).values(): plt.close(fig)
    # the checkpoint loads without unpickling code, into a fresh method, to the same predictions
    sd = torch.load(tmp_path / "last.pt", map_location="cpu", weights_only=True)
    fresh = build_method(spec, data)
    fresh.load_state_dict(sd["method"])
    fresh.eval()
    with torch.no_grad(): assert torch.equal(fresh.predict(b), m.predict(b))


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_an_interrupted_run_resumes_exactly(name, tmp_path):
    spec, data, m = _setup(name)
    _trainer(spec, data, m, tmp_path / "a").fit()
    _, _, m2 = _setup(name)
    _trainer(spec, data, m2, tmp_path / "b").fit(stop_at=spec.eval_every + 1)       # killed after its first checkpoint
    _, _, m3 = _setup(name)
    t3 = _trainer(spec, data, m3, tmp_path / "b")
    t3.fit(resume=True)
    assert t3.step == spec.iterations
    a, c = m.state_dict(), m3.state_dict()
    assert a.keys() == c.keys() and all(torch.equal(a[k], c[k]) for k in a)


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_trains_on_a_timm_encoder(name):
    spec, data, m = _setup(name, encoder="resnet18", size=64)
    nets = [mod for mod in m.modules() if type(mod).__name__ == "TimmUNet"]
    assert nets, "the method ignored --encoder"
    t = _trainer(spec, data, m)
    t.fit()
    assert all(math.isfinite(h["loss"]) for h in t.history if "loss" in h)


@pytest.mark.parametrize("name", [n for n in METHOD_NAMES if METHODS[n].supervision == "gaze"])
def test_a_gaze_method_never_reads_a_training_mask(name, gaze_only_kvasir):
    "On a mini Kvasir-SEG whose training masks raise when read, the whole smoke run (data, training, evaluation on test)."
    spec, data, m = _setup_on(name, "kvasir-seg", gaze_only_kvasir)
    t = _trainer(spec, data, m)
    t.fit()
    assert t.step == spec.iterations and 0 <= t.evaluate(data["test"])["dice"] <= 1


def _setup_on(name, dataset, root):
    spec = resolve_run(dataset=dataset, data_root=str(root), method=name, profile="smoke", device="cpu")
    data = build_data(spec)
    return spec, data, build_method(spec, data)


@pytest.mark.slow
def test_every_method_trains_on_a_timm_encoder_through_the_cli(tmp_path):
    "Eight papermill runs (about 2.5 min): with --runslow."
    from gazekit.cli import main
    rc = main(["reproduce", "synthetic", "--methods", ",".join(METHOD_NAMES), "--encoder", "resnet18", "--size", "64",
               "--profile", "smoke", "--seeds", "0", "--device", "cpu", "--reports", str(tmp_path)])
    assert rc == 0
    import json
    for name in METHOD_NAMES:
        cfg = json.loads((tmp_path / "runs" / "synthetic" / name / "paper" / "seed0" / "config.json").read_text())
        assert cfg["model"]["model"] == "timm-unet" and cfg["model"]["encoder"] == "resnet18"


@pytest.mark.parametrize("name", [n for n in METHOD_NAMES if METHODS[n].num_classes == 2 and METHODS[n].supervision != "semi"])
def test_the_smoke_profile_learns(name):
    "Smoke metrics mean something: each binary method's smoke run beats predicting foreground everywhere on the same test images."
    import numpy as np
    spec, data, m = _setup(name)
    t = _trainer(spec, data, m)
    t.fit()
    test = data["test"]
    masks = [np.asarray(test.original_mask(i)) > 0 for i in range(len(test))]
    all_foreground = float(np.mean([2 * g.sum() / (g.sum() + g.size) for g in masks]))
    dice = t.evaluate(test)["dice"]
    assert dice > all_foreground + 0.1, f"{name}: Dice {dice:.3f}, all-foreground {all_foreground:.3f}"
