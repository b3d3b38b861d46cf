"""gazekit.saliency against pysaliency, the reference implementation of the MIT saliency benchmark's metrics, on the same
inputs: random maps (with and without ties, several seeds, repeated fixations) and gaze heatmaps of simulated tracks.
The pysaliency tests skip, with the reason, where pysaliency is not installed; the rest (the definitions checked from
first principles, the refusals) always run."""
import importlib.util
import sys
import types
import warnings

import numpy as np
import pytest

from gazekit.core import ConfigError, DataError
from gazekit.gaze import Fixations, heatmap
from gazekit.saliency import auc_judd, auc_shuffled, cc, fixation_map, kld, nss, saliency_scores, sim
from gazekit.simulate import simulate_fixations

pytestmark = pytest.mark.xdist_group("saliency")     # under `pytest -n`, one process runs this file: its module fixtures are made once

TOL = 1e-4


def _pkg_resources_stand_in():
    "The two `pkg_resources` functions pysaliency imports (for its MATLAB models and dataset scripts), on importlib.resources."
    from importlib.resources import files
    m = types.ModuleType("pkg_resources")
    m.resource_string = lambda pkg, path: files(pkg).joinpath(path).read_bytes()
    m.resource_listdir = lambda pkg, path: [q.name for q in files(pkg).joinpath(path).iterdir()]
    return m


@pytest.fixture(scope="module")
def ref():
    """pysaliency's metrics, called on one image through its own model API (saliency map model, stimuli, fixations).

    pysaliency 0.2.22, its latest release, predates two removals: it imports `pkg_resources` (gone from setuptools 84,
    installed here; pysaliency uses it only for its MATLAB models and dataset downloads) and integrates its ROC curves
    with `np.trapz` (gone from NumPy 2.4; renamed `np.trapezoid`). While these tests run, a stand-in module and the
    renamed function fill the two gaps where they are missing; nothing of the metrics themselves is replaced."""
    if importlib.util.find_spec("pysaliency") is None:
        pytest.skip("pysaliency is not installed (pip install 'gazekit[saliency]'): the comparison with the reference "
                    "implementation is skipped")
    with pytest.MonkeyPatch.context() as mp:
        if not hasattr(np, "trapz"): mp.setattr(np, "trapz", np.trapezoid, raising=False)
        if importlib.util.find_spec("pkg_resources") is None: mp.setitem(sys.modules, "pkg_resources", _pkg_resources_stand_in())
        import pysaliency as ps
        yield _reference(ps)


def _reference(ps):
    class Fixed(ps.SaliencyMapModel):
        "The one map we give it, for every stimulus."
        def __init__(self, smap):
            super().__init__(caching=False); self.smap = np.asarray(smap, np.float64)
        def _saliency_map(self, stimulus): return self.smap

    def stimuli(shape): return ps.Stimuli([np.zeros((*shape, 3), np.uint8)])

    def fixations(counts):
        "A pysaliency Fixations with one entry per fixation (a pixel fixated twice appears twice), at pixel centres."
        r, c = np.nonzero(counts)
        k = counts[r, c].astype(int)
        r, c = np.repeat(r, k), np.repeat(c, k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ps.Fixations.create_without_history(c + 0.5, r + 0.5, np.zeros(len(r), int))

    def run(f):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(f())

    return types.SimpleNamespace(
        nss=lambda s, n: run(lambda: ps.metrics.NSS(s, *np.nonzero(n)[::-1]).repeat(n[np.nonzero(n)].astype(int)).mean()),
        auc_judd=lambda s, n: run(lambda: Fixed(s).AUC_Judd(stimuli(s.shape), fixations(n), jitter=False)),
        auc_shuffled=lambda s, n, o: run(lambda: Fixed(s).AUC(stimuli(s.shape), fixations(n), nonfixations=fixations(o),
                                                              average="image")),
        cc=lambda s, t: run(lambda: ps.metrics.CC(s, t)),
        kld=lambda s, t: run(lambda: ps.metrics.MIT_KLDiv(s, t)),
        sim=lambda s, t: run(lambda: ps.metrics.SIM(s, t)),
    )


def random_case(seed):
    "A saliency map, a fixation count map (with repeats), other images' fixations, a smooth dense map and a blob mask."
    from scipy import ndimage
    rng = np.random.default_rng(seed)
    shape = tuple(int(v) for v in rng.integers(12, 40, 2))
    s = rng.random(shape) ** 3
    if seed % 2: s = np.round(s * 4) / 4                      # odd seeds: a few levels only, many ties (and zeros)
    k = int(rng.integers(3, 25))
    pool = rng.integers(0, shape, (k // 2, 2))                  # k fixations on at most k/2 pixels: some pixel gets several
    n = np.zeros(shape, np.int64)
    np.add.at(n, tuple(pool[rng.integers(0, len(pool), k)].T), 1)
    other = np.zeros(shape, np.int64)
    np.add.at(other, (rng.integers(0, shape[0], 40), rng.integers(0, shape[1], 40)), 1)
    dense = ndimage.gaussian_filter(rng.random(shape), 2)
    mask = ndimage.gaussian_filter(rng.random(shape), 3) > 0.5
    if not mask.any() or mask.all(): mask = np.zeros(shape, bool); mask[2:6, 3:9] = True
    return s, n, other, dense, mask


def gaze_case(seed, shape=(60, 80)):
    "A lesion-like disc, a simulated reader's track on it and that track's gaze heatmap (float32, flat zeros: ties)."
    rng = np.random.default_rng(seed)
    cy, cx = rng.uniform(0.3, 0.7, 2) * shape
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    mask = np.hypot(yy - cy, xx - cx) < rng.uniform(6, 14)
    fix = simulate_fixations(mask, rng, image_id=f"sim-{seed}")
    return heatmap(fix, size=shape, sigma=40), fix, mask


@pytest.mark.parametrize("seed", range(6))
def test_random_maps_match_pysaliency(ref, seed):
    s, n, other, dense, mask = random_case(seed)
    assert n.sum() >= 3 and n.max() >= 2                    # repeated fixations are in every case
    for name, ours, theirs in [
        ("nss", nss(s, n), ref.nss(s, n)),
        ("auc_judd", auc_judd(s, n), ref.auc_judd(s, n)),
        ("auc_shuffled", auc_shuffled(s, n, other), ref.auc_shuffled(s, n, other)),
        ("cc dense", cc(s, dense), ref.cc(s, dense)), ("cc mask", cc(s, mask), ref.cc(s, mask.astype(float))),
        ("kld dense", kld(s, dense), ref.kld(s, dense)), ("kld mask", kld(s, mask), ref.kld(s, mask.astype(float))),
        ("sim dense", sim(s, dense), ref.sim(s, dense)), ("sim mask", sim(s, mask), ref.sim(s, mask.astype(float))),
    ]:
        assert np.isfinite(theirs), name
        assert abs(ours - theirs) <= TOL, f"seed {seed}, {name}: gazekit {ours!r}, pysaliency {theirs!r}"


@pytest.mark.parametrize("seed", range(3))
def test_gaze_heatmaps_match_pysaliency(ref, seed):
    "The real use: a gaze heatmap against its own track (rasterised from Fixations) and against the lesion mask."
    h, fix, mask = gaze_case(seed)
    n = fixation_map(fix, h.shape)
    assert len(fix) > 0 and n.sum() == len(fix)
    h64 = h.astype(np.float64)
    got = saliency_scores(h, fix, mask)
    want = dict(nss=ref.nss(h64, n), auc_judd=ref.auc_judd(h64, n), cc=ref.cc(h64, mask.astype(float)),
                kld=ref.kld(h64, mask.astype(float)), sim=ref.sim(h64, mask.astype(float)))
    for k in want: assert abs(got[k] - want[k]) <= TOL, f"seed {seed}, {k}: gazekit {got[k]!r}, pysaliency {want[k]!r}"
    # the mask as the fixations: how well the heatmap alone separates the lesion from the background
    assert abs(auc_judd(h, mask) - ref.auc_judd(h64, mask.astype(int))) <= TOL
    assert abs(nss(h, mask) - ref.nss(h64, mask.astype(int))) <= TOL


def test_fixation_map_places_each_fixation():
    f = Fixations(x=[0.0, 0.26, 0.26, 0.999, 1.0], y=[0.0, 0.5, 0.5, 0.74, 1.0], duration=[100] * 5,
                  start=[0, 1, 2, 3, 4], order=[1, 2, 3, 4, 5], height=8, width=8)
    m = fixation_map(f, (4, 4))
    assert m.sum() == 5 and m[0, 0] == 1 and m[2, 1] == 2 and m[2, 3] == 1 and m[3, 3] == 1
    assert fixation_map(f).shape == (8, 8)
    # a Fixations and its count map score the same
    s = np.random.default_rng(0).random((4, 4))
    assert nss(s, f) == nss(s, m) and auc_judd(s, f) == auc_judd(s, m)


def test_auc_definitions_from_first_principles():
    "Shuffled AUC = P(positive > negative) + P(tie)/2, counted over all pairs; AUC-Judd ignores monotone rescaling."
    rng = np.random.default_rng(3)
    for levels in (None, 5):
        s = rng.random((15, 21))
        if levels: s = np.floor(s * levels) / levels + 0.01
        n, o = (rng.random((15, 21)) < 0.05).astype(int), (rng.random((15, 21)) < 0.2).astype(int) * 2
        n[0, 0] = 1
        pos, neg = np.repeat(s.ravel(), n.ravel()), np.repeat(s.ravel(), o.ravel())
        d = pos[:, None] - neg[None]
        assert abs(auc_shuffled(s, n, o) - ((d > 0).mean() + 0.5 * (d == 0).mean())) < 1e-12
        assert abs(auc_judd(s, n) - auc_judd(np.exp(3 * s), n)) < 1e-12
    # one fixation: AUC-Judd has one threshold (the chord), the full curve counts the negatives below it
    s = np.arange(1.0, 13.0).reshape(3, 4)
    one = np.zeros((3, 4), int); one[1, 2] = 1                # value 7: 6 of the 11 negatives lie below it
    assert abs(auc_shuffled(s, one, 1 - one) - 6 / 11) < 1e-12
    assert abs(auc_judd(s, one) - (0.5 * 5 / 11 + 6 / 11)) < 1e-12   # the chord to (5/11, 1), then flat


def test_dense_metrics_from_first_principles():
    rng = np.random.default_rng(4)
    s, t = rng.random((9, 13)), rng.random((9, 13)) ** 2
    assert abs(cc(s, t) - np.corrcoef(s.ravel(), t.ravel())[0, 1]) < 1e-12
    p, q = s / s.sum(), t / t.sum()
    assert abs(sim(s, t) - np.minimum(p, q).sum()) < 1e-12
    assert abs(kld(s, t) - (q * np.log(q / p)).sum()) < 1e-9     # eps matters only where a density is ~0
    assert kld(s, t) != pytest.approx(kld(t, s))                  # not symmetric: the target is the second map
    assert sim(s - 1, t) == pytest.approx(sim(s - s.min(), t))   # a negative map is shifted up to 0 first


@pytest.mark.parametrize("call, err, text", [
    (lambda: nss(np.ones((4, 5)), np.ones((4, 6))), ConfigError, "shape (4, 6) but the saliency map has shape (4, 5)"),
    (lambda: cc(np.ones((4, 5)), np.ones((5, 4))), ConfigError, "target has shape (5, 4)"),
    (lambda: sim(np.ones((2, 4, 5)), np.ones((4, 5))), ConfigError, "not (H, W)"),
    (lambda: kld(np.array([["a"]]), np.ones((1, 1))), ConfigError, "not numbers"),
    (lambda: nss(np.full((4, 5), np.nan), np.ones((4, 5))), DataError, "20 NaN or infinite"),
    (lambda: cc(np.ones((4, 5)), np.r_[[[np.inf] * 5], np.ones((3, 5))]), DataError, "NaN or infinite"),
    (lambda: auc_judd(np.zeros((4, 5)), np.ones((4, 5)), where="img-3"), DataError, "img-3, saliency map: the saliency map is all zero"),
    (lambda: nss(np.ones((4, 5)), np.zeros((4, 5))), DataError, "no fixations"),
    (lambda: nss(np.ones((4, 5)), np.full((4, 5), 0.2)), DataError, "fractional values"),
    (lambda: nss(np.ones((4, 5)), -np.ones((4, 5))), DataError, "negative values"),
    (lambda: kld(np.ones((4, 5)), np.zeros((4, 5))), DataError, "all zero (an empty mask?)"),
    (lambda: cc(np.random.default_rng(0).random((4, 5)), np.ones((4, 5))), DataError, "correlation is undefined"),
    (lambda: auc_judd(np.random.default_rng(0).random((4, 5)), np.ones((4, 5))), DataError, "every pixel is fixated"),
    (lambda: saliency_scores(np.ones((4, 5))), ConfigError, "nothing to score"),
    (lambda: fixation_map(Fixations([1.5], [0.5], [100], [0], [1], 4, 5)), DataError, "normalised to [0, 1]"),
    (lambda: nss(np.ones((4, 5)), Fixations([], [], [], [], [], 4, 5, image_id="empty-track")), DataError,
     "empty-track, fixations: no fixations"),
])
def test_bad_input_fails_early_and_clearly(call, err, text):
    with pytest.raises(err) as e: call()
    assert text in str(e.value) and "Fix:" in str(e.value)
