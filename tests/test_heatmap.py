"The fast heatmap is the papers' recipe, on random tracks and on the real Kvasir-SEG gaze."
import numpy as np
import pytest

from gazekit.gaze import Fixations, heatmap, levels, read_gazemedseg_csv, resize_cubic


def random_track(rng, n, h, w):
    return Fixations(rng.random(n), rng.random(n), rng.uniform(50, 900, n), np.arange(n) * 300.0, np.arange(n), h, w)


@pytest.mark.parametrize("sigma, size", [(70, (53, 61)), (50, (120, 90)), (20, (40, 300))])
def test_fast_equals_paper(sigma, size):
    rng = np.random.default_rng(sigma)
    for n in (1, 3, 40):
        f = random_track(rng, n, *size)
        hp, hf = heatmap(f, sigma=sigma, mode="paper"), heatmap(f, sigma=sigma, mode="fast")
        assert hp.shape == hf.shape == size
        assert np.abs(hp - hf).max() <= 1e-4


def test_heatmap_peaks_where_the_reader_looked():
    f = Fixations([0.25, 0.8], [0.3, 0.7], [2000, 100], [0, 2100], [1, 2], 100, 100)
    h = heatmap(f)
    r, c = np.unravel_index(np.argmax(h), h.shape)
    assert abs(r - 30) <= 3 and abs(c - 25) <= 3          # the long fixation dominates
    assert h[70, 80] < h[30, 25]


def test_levels_nested():
    h = np.linspace(0, 1, 100).reshape(10, 10)
    lv = levels(h, (0.5, 0.3))
    assert lv.shape == (2, 10, 10) and lv[0].sum() < lv[1].sum() and (lv[0] <= lv[1]).all()


def test_resize_cubic_matches_torch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(1).random((30, 41))
    ref = torch.nn.functional.interpolate(torch.tensor(a)[None, None], size=(77, 19), mode="bicubic", align_corners=False)[0, 0].numpy()
    np.testing.assert_allclose(resize_cubic(a, (77, 19)), ref, atol=1e-9)


def test_real_kvasir_fast_vs_paper_sample(real_kvasir):
    "A quick sample here; benchmarks/bench_heatmap.py covers all 1000 images with timings."
    fx = read_gazemedseg_csv(real_kvasir / "gazemedseg" / "kvasir_fixation.csv")
    items = list(fx.values())[::100]
    worst = max(np.abs(heatmap(f, mode="paper") - heatmap(f, mode="fast")).max() for f in items)
    assert worst <= 0.01
