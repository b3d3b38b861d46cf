"The baselines run end to end through the one Trainer; the gaze baseline trains on data that has no masks."
import pytest

from gazekit.core import ConfigError
from gazekit.data import load_dataset
from gazekit.methods.core import get_method, METHODS
from gazekit.train import Trainer, TrainConfig


@pytest.mark.parametrize("name", ["full", "gaze"])
def test_baseline_trains_and_evaluates(name, tmp_path):
    m = get_method(name, model="unet-ref", width=0.125)
    kw = dict(size=32, cache=False, source_kwargs=dict(n_train=6, n_test=3, size=48))
    tr = load_dataset("synthetic", split="train", supervision=m.supervision, **kw)
    te = load_dataset("synthetic", split="test", supervision=m.supervision, **kw)
    if name == "gaze": assert not any("mask" in tr[i] for i in range(len(tr)))
    t = Trainer(m, tr, te, TrainConfig(iterations=3, batch_size=2, eval_every=3, progress=False, log_every=1), tmp_path)
    res = t.fit()
    assert res["step"] == 3 and (tmp_path / "best.pt").exists() and (tmp_path / "last.pt").exists()
    ev = t.evaluate()
    assert ev["n_images"] == 3 and 0 <= ev["dice"] <= 1


def test_registry():
    assert {"full", "gaze"} <= set(METHODS)
    with pytest.raises(ConfigError, match="unknown method"):
        get_method("nope")


def test_acdc_is_scored_per_volume(tmp_path):
    "ACDC's test set is slices of volumes: the trainer scores each 3D volume (one row per volume), 4 classes."
    from test_data import write_acdc
    root = write_acdc(tmp_path)
    tr = load_dataset("acdc", root, split="train", supervision="full", size=24, cache=False)
    te = load_dataset("acdc", root, split="test", supervision="full", size=24, cache=False)
    assert len(te) == 3 and all(i.startswith("patient101_frame01#") for i in te.ids)
    m = get_method("full", num_classes=4, in_channels=1, width=0.0625, norm="batch")
    t = Trainer(m, tr, te, TrainConfig(iterations=2, batch_size=2, optimizer="adam", lr=1e-3, eval_every=2, progress=False))
    res = t.evaluate()
    assert res["n_images"] == 1 and res["per_image"]["id"].tolist() == ["patient101_frame01"]
    assert 0 <= res["dice"] <= 1 and "dice_3" in res
