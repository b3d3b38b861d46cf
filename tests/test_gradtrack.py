"GradTrack: the track maps keep order and durations (and the ablations remove them), the method trains on gaze alone, the papermill command runs with its figure."
import json

import numpy as np
import pytest
import torch

from gazekit.data import load_dataset
from gazekit.report import report
from gazekit.runs import run_dir
from gazekit.grid import run_grid
from gazekit.gaze import Fixations
from gazekit.methods.core import get_method
from gazekit.methods.gradtrack import GradTrack, batch_track_maps, stage_tracks, track_maps

from gazekit.train import TrainConfig, Trainer

SIZES_64 = [(8, 8), (16, 16), (32, 32), (64, 64)]            # the reference U-Net's four decoder stages on a 64x64 input


def _track():
    "Search in the upper left (short fixations), then a long dwell in the lower right."
    return Fixations(x=[.1, .2, .15, .8, .82, .78], y=[.1, .15, .2, .8, .78, .82], duration=[80, 90, 70, 500, 600, 550],
                     start=[0, 100, 200, 300, 850, 1500], order=np.arange(6), height=64, width=64, image_id="t")


def test_stage_maps_follow_time_and_duration():
    maps = track_maps(_track(), [(64, 64)] * 4, sigma=50)
    assert maps[0][:25, :25].max() < 0.05 and maps[-1][:25, :25].max() > 0.05       # coarse: the final dwell only
    assert [len(t) for t in stage_tracks(_track(), 4)] == sorted(len(t) for t in stage_tracks(_track(), 4))
    uni = track_maps(_track(), [(64, 64)] * 4, weights="uniform", sigma=50)
    assert uni[-1][:25, :25].max() > maps[-1][:25, :25].max()                       # durations matter
    diff = [np.abs(track_maps(_track(), [(64, 64)] * 4, order="shuffled", sigma=50, rng=np.random.default_rng(s))[0] - maps[0]).max()
            for s in range(5)]
    assert max(diff) > 0.1                                                           # shuffled times change the coarse maps
    a = batch_track_maps([_track()], SIZES_64, order="shuffled", step=7)
    b = batch_track_maps([_track()], SIZES_64, order="shuffled", step=7)
    assert all(torch.equal(x, y) for x, y in zip(a, b))                              # reproducible per step (exact resume)


@pytest.mark.parametrize("opts", [{}, {"order": "shuffled", "weights": "uniform"}, {"attention": False, "multilevel": False}])
def test_trains_on_gaze_alone_and_the_masks_are_never_read(gaze_only_kvasir, opts):
    root = gaze_only_kvasir
    m = get_method("gradtrack", width=0.125, norm="batch", **opts)
    assert m.supervision == "gaze"
    kw = dict(supervision="gaze", size=32, cache=False, **GradTrack.data_needs("kvasir-seg").load)
    tr, te = load_dataset("kvasir-seg", root, split="train", **kw), load_dataset("kvasir-seg", root, split="test", **kw)
    t = Trainer(m, tr, te, TrainConfig(iterations=4, batch_size=2, optimizer="adam", lr=1e-3, eval_every=4, progress=False, log_every=1))
    t.fit()
    last = [h for h in t.history if "loss" in h][-1]
    assert ("attention" in last) == opts.get("attention", True) and ("multilevel" in last) == opts.get("multilevel", True)
    assert 0 <= t.evaluate()["dice"] <= 1


def test_smoke_run_through_papermill_with_its_figure(tmp_path):
    g = run_grid("synthetic", ["gradtrack", ("gradtrack", {"attention": False})], profile="smoke", reports=tmp_path, say=lambda *a: None)
    assert g.status.tolist() == ["ok", "ok"], g.error.tolist()
    out = run_dir(tmp_path, "synthetic", "gradtrack", "paper", 0)
    assert (out / "tracks.png").stat().st_size > 5_000
    assert json.loads((out / "config.json").read_text())["spec"]["data_options"]["thresholds"] == [0.5]
    assert "gradtrack+attention=false" in report(tmp_path)["markdown"].read_text()


@pytest.mark.parametrize("kw,level", [({}, 0.5), ({"method_options": {"threshold": 0.4}}, 0.4), ({"data_options": {"thresholds": [0.35]}}, 0.35)])
def test_the_level_is_the_training_datas_own(kw, level):
    "The output head's pseudo-mask and the stage maps are cut at one level: the option's, else the training data's (its dataset's by default)."
    from gazekit.runs import build_data, build_method, resolve_run
    spec = resolve_run(dataset="synthetic", method="gradtrack", profile="smoke", **kw)
    data = build_data(spec)
    assert data["train"].thresholds == (level,)
    assert build_method(spec, data).threshold == level
    assert resolve_run(dataset="nci-isbi", method="gradtrack", profile="smoke").data_options["thresholds"] == [0.2]


def test_a_padded_timm_input_is_refused_rather_than_misaligned():
    "A timm U-Net pads a side that is not a multiple of its stride; the track maps would then not line up with the image."
    from gazekit.core import ConfigError
    from gazekit.data import collate
    ds = load_dataset("synthetic", split="train", supervision="gaze", size=72, cache=False,
                      source_kwargs=dict(n_train=2, n_test=2, size=48), **GradTrack.data_needs("synthetic").load)
    m = get_method("gradtrack", model="timm-unet", encoder="resnet18", pretrained=False, norm="batch")
    with pytest.raises(ConfigError, match="multiple of the encoder's stride"):
        m.training_step(collate([ds[0], ds[1]]), 0)
