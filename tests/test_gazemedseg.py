"GazeMedSeg: the efficient prop smoothing equals the naive one, the method trains on gaze alone, and the paper's command runs end to end."
import json

import pytest
import torch

from gazekit.data import load_dataset
from gazekit.grid import run_grid
from gazekit.runs import run_dir, resolve_run
from gazekit.report import report
from gazekit.methods.core import get_method
from gazekit.methods.gazemedseg import (GazeMedSeg, affinity_smooth, affinity_smooth_naive, cross_level_consistency,
                                        level_thresholds)
from gazekit.train import Trainer, TrainConfig


@pytest.mark.parametrize("shape,kernel,dilation", [((2, 128, 24, 31), 5, 2), ((1, 16, 9, 7), 3, 1), ((3, 8, 5, 5), 5, 2)])
@pytest.mark.parametrize("border", ["zeros", "inside"])
def test_efficient_prop_equals_naive_in_float32(shape, kernel, dilation, border):
    "Classifying the unfold-smoothed features = smoothing the logits less the bias, plus the bias: values within 1e-5, feature gradients within 1e-5 of their scale (float32)."
    g = torch.Generator().manual_seed(sum(shape))
    f = torch.randn(*shape, generator=g).requires_grad_()          # a projected map (signed), as the released network smooths
    clf = torch.nn.Conv2d(shape[1], 1, 1)
    ref = clf(affinity_smooth_naive(f, kernel, dilation, border))
    gr, = torch.autograd.grad((ref.sigmoid() * torch.arange(ref.numel()).view_as(ref) % 3).sum(), f)
    b = clf.bias.view(1, -1, 1, 1)
    out = affinity_smooth(f, clf(f) - b, kernel, dilation, border) + b
    go, = torch.autograd.grad((out.sigmoid() * torch.arange(out.numel()).view_as(out) % 3).sum(), f)
    assert (ref - out).abs().max() <= 1e-5                                   # values: absolute
    assert (gr - go).abs().max() <= 1e-5 * max(1.0, gr.abs().max().item())     # gradients: relative to their size


@pytest.mark.parametrize("kernel,dilation", [(5, 2), (3, 1)])
def test_neighbour_dots_backward_matches_finite_differences(kernel, dilation):
    from gazekit.methods.gazemedseg import _NeighbourDots, neighbour_offsets
    f = torch.randn(2, 4, 7, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: _NeighbourDots.apply(t, neighbour_offsets(kernel, dilation), (kernel // 2) * dilation), (f,))


def test_consistency_detects_disagreement():
    "The term can fail: agreeing levels score lower (better) than disagreeing ones, in both modes."
    z = torch.full((1, 1, 6, 6), 5.0); f = torch.randn(1, 4, 6, 6)
    for mode in ("prop", "pure"):
        agree = cross_level_consistency([z, z], [f, f], mode=mode)
        disagree = cross_level_consistency([z, -z], [f, f], mode=mode)
        assert agree < -1.9 and disagree > -0.1


def test_trains_on_gaze_alone_and_the_masks_are_never_read(gaze_only_kvasir):
    root = gaze_only_kvasir
    m = get_method("gazemedseg", levels=3, width=0.0625)
    assert m.supervision == "gaze"
    opts = GazeMedSeg.data_needs("kvasir-seg", levels=3).load
    tr = load_dataset("kvasir-seg", root, split="train", supervision=m.supervision, size=32, cache=False, **opts)
    te = load_dataset("kvasir-seg", root, split="test", supervision=m.supervision, size=32, cache=False, **opts)
    t = Trainer(m, tr, te, TrainConfig(iterations=4, batch_size=2, optimizer="adam", lr=1e-3, eval_every=4, progress=False, log_every=1))
    t.fit()
    logs = [h for h in t.history if "loss" in h]
    assert {"bce0", "bce1", "bce2", "consistency"} <= set(logs[-1])
    assert 0 <= t.evaluate()["dice"] <= 1                                     # test masks are read to score, as they may be


def test_smoke_runs_through_papermill_and_the_level_ablation_figure(tmp_path):
    g = run_grid("synthetic", [("gazemedseg", {"levels": 3}), "gazemedseg"], profile="smoke", reports=tmp_path, say=lambda *a: None)
    assert g.status.tolist() == ["ok", "ok"], g.error.tolist()
    out = run_dir(tmp_path, "synthetic", "gazemedseg+levels=3", "paper", 0)
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["spec"]["data_options"]["thresholds"] == [0.5, 0.3, 0.4]       # the method chose its data's levels
    assert (out / "levels.png").stat().st_size > 5_000                         # the method's own figure
    log = [json.loads(l) for l in (out / "log.jsonl").read_text().splitlines()]
    assert any("consistency" in r for r in log)
    w = report(tmp_path)                                                       # two level counts: the ablation figure
    assert w["gazemedseg_levels"].stat().st_size > 5_000
    assert "gazemedseg+levels=3" in w["markdown"].read_text()


def test_explicit_thresholds_win_and_mismatch_is_explained():
    s = resolve_run(dataset="synthetic", method="gazemedseg", method_options={"levels": 2}, data_options={"thresholds": [0.6, 0.2]})
    assert s.data_options["thresholds"] == [0.6, 0.2]
    assert resolve_run(dataset="nci-isbi", method="gazemedseg").data_options == {"thresholds": [0.2, 0.4]}
    assert level_thresholds("nci-isbi", 2) == (0.2, 0.4)


def test_nci_isbi_command_on_dicoms_written_here(tmp_path):
    "`gazekit reproduce nci-isbi --methods gazemedseg` given TCIA-style slices: DICOM images, PNG masks, the gaze CSV, the split lists."
    from test_data import write_nci
    root = write_nci(tmp_path / "data", n=6, size=32)
    g = run_grid("nci-isbi", ["gazemedseg"], profile="smoke", reports=tmp_path / "reports", data_root=str(root), say=lambda *a: None)
    assert g.status.tolist() == ["ok"], g.error.tolist()
    m = json.loads((run_dir(tmp_path / "reports", "nci-isbi", "gazemedseg", "paper", 0) / "metrics.json").read_text())
    assert m["test"]["n_images"] == 1 and 0 <= m["test"]["dice"] <= 1
