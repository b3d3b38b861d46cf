"Dense-CRF refinement (the papers' bilateral settings) pulls a blurry gaze map onto the image's edges."
import numpy as np
import pytest

from gazekit.core import ConfigError
from gazekit.gaze import Fixations, binary_dice, crf_refine, heatmap, levels

pytest.importorskip("pydensecrf.densecrf", reason="pydensecrf2 (the crf extra) is not installed")


def test_crf_snaps_to_the_object():
    "A reader's fixations spread over a bright square: the CRF-refined mask follows the square better than the heatmap."
    h = w = 128
    img = np.full((h, w, 3), 60, np.uint8)
    obj = np.zeros((h, w), bool); obj[30:90, 30:90] = True
    img[obj] = (230, 150, 140)
    rng = np.random.default_rng(0); n = 25
    f = Fixations(rng.uniform(0.28, 0.72, n), rng.uniform(0.28, 0.72, n), rng.uniform(100, 600, n), np.arange(n) * 500.0, np.arange(n), h, w)
    heat = heatmap(f, sigma=70)
    refined = crf_refine(img, heat)
    assert refined.shape == (h, w) and refined.min() >= 0 and refined.max() <= 1
    m_heat, m_crf = levels(heat, 0.5)[0], refined > 0.5
    d_heat, d_crf = binary_dice(m_heat, obj), binary_dice(m_crf, obj)
    assert d_crf > d_heat + 0.02, (d_heat, d_crf)
    precision = lambda m: (m & obj).sum() / max(m.sum(), 1)
    assert precision(m_crf) >= precision(m_heat)


def test_crf_size_mismatch():
    with pytest.raises(ConfigError, match="differ in size"):
        crf_refine(np.zeros((10, 10, 3), np.uint8), np.zeros((10, 12), np.float32))


def test_dataset_with_crf_gaze_map():
    from gazekit.data import load_dataset
    kw = dict(split="train", supervision="gaze", size=32, cache=False, source_kwargs=dict(n_train=2, n_test=1))
    plain, crf = load_dataset("synthetic", **kw), load_dataset("synthetic", gaze_map="crf", **kw)
    a, b = plain[0], crf[0]
    assert b["heatmap"].shape == (1, 32, 32) and 0 <= float(b["heatmap"].min()) and float(b["heatmap"].max()) <= 1
    assert float((a["heatmap"] - b["heatmap"]).abs().max()) > 0.05          # the refinement changed the map
    assert (b["levels"][0] == (b["heatmap"][0] > 0.5).float()).all()


def test_crf_on_real_kvasir_images(real_kvasir, tmp_path):
    "Real images arrive as read-only arrays (PIL's buffer); the CRF path refines them, through a source and through a dataset."
    from gazekit.data import DATASETS, GazeSegDataset
    src = DATASETS["kvasir-seg"](real_kvasir)
    ids = src.ids("train")[:2]
    img = src.image(ids[0])
    assert not img.flags.writeable
    r = crf_refine(img, heatmap(src.fixations(ids[0]), size=img.shape[:2]))
    assert r.shape == img.shape[:2] and 0 <= r.min() and r.max() <= 1
    ds = GazeSegDataset(src, "train", "gaze", size=32, gaze_map="crf", ids=ids, cache=False)
    assert ds[0]["heatmap"].shape == (1, 32, 32)
