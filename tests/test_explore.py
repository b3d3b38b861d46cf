"""The README's explorer example on the committed records (which keep no checkpoint): each run shows the predictions its record
kept (`showcase.npz`) on its showcase images, which the explorer puts first, and "no prediction" on the others."""
from pathlib import Path

import numpy as np

from gazekit.core import DATA_ENV
from gazekit.runs import SHOWCASE, load_showcase

RUNS = Path(__file__).resolve().parents[1] / "reports" / "quick" / "runs" / "kvasir-seg"
README_RUNS = [RUNS / "gaze" / "clean" / "seed0", RUNS / "gradtrack" / "clean" / "seed0"]   # as the README names them


def test_readme_runs_are_records_with_kept_predictions():
    "What the README's example relies on, without the data: committed records, no weights, the same showcase images kept."
    for d in README_RUNS:
        assert (d / "metrics.json").is_file() and (d / "identity.json").is_file() and not (d / "best.pt").exists(), d
    kept = [load_showcase(d / "showcase.npz") for d in README_RUNS]
    assert list(kept[0]) == list(kept[1]) and len(kept[0]) == SHOWCASE


def test_readme_explorer_on_committed_records(real_kvasir, monkeypatch):
    from gazekit.explore import explorer
    monkeypatch.delenv(DATA_ENV)                                            # the data root as `gazekit explore ROOT` gives it
    kept = [load_showcase(d / "showcase.npz") for d in README_RUNS]
    ex = explorer(root=real_kvasir, runs=README_RUNS, n=6, order="disagreement")
    assert list(ex.predictions) == ["gaze (kept)", "gradtrack (kept)"]
    shown = [s["id"] for s in ex.samples]
    assert shown[:SHOWCASE] == list(kept[0]) and len(shown) == 6
    for name, k in zip(ex.predictions, kept):
        assert set(ex.predictions[name]) == set(k)
        for i, p in ex.predictions[name].items(): np.testing.assert_array_equal(p, k[i])
    titles = [a.get_title() for a in ex.figure.axes[3:5]]
    assert all(t.split(": ")[1].startswith("Dice ") for t in titles), titles
    ex.index.value = 5                                                     # ordered last: an image no record kept
    assert [a.get_title() for a in ex.figure.axes[3:5]] == ["gaze (kept): no prediction", "gradtrack (kept): no prediction"]
