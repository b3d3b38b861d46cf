import os
from pathlib import Path

# `make test` runs pytest in two processes (pytest-xdist) on a 2-core machine: each, and each notebook kernel it starts,
# gets one thread, or the two would oversubscribe the cores and slow each other several-fold
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"): os.environ.setdefault(_v, "1")

import pytest

from gazekit.core import find_data_root


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run the tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"): return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords: item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    "Each test session gets its own cache unless GAZEKIT_CACHE is set (CI sets it to reuse real-data caches)."
    if not os.environ.get("GAZEKIT_CACHE"):
        os.environ["GAZEKIT_CACHE"] = str(tmp_path_factory.mktemp("gazekit-cache"))
    os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def real_root() -> Path:
    "The real data root ($GAZEKIT_DATA, e.g. ../shared/data); the test is skipped, with the reason, where it is absent."
    root = find_data_root()
    if root is None:
        pytest.skip("real data not available: set GAZEKIT_DATA to the data root (CI uses ../shared/data)")
    return root


@pytest.fixture(scope="session")
def real_kvasir(real_root) -> Path:
    if not (real_root / "kvasir-seg" / "images").is_dir():
        pytest.skip(f"no kvasir-seg/ under the data root {real_root}")
    return real_root


@pytest.fixture
def gaze_only_kvasir(tmp_path, monkeypatch) -> Path:
    "A mini Kvasir-SEG (8 images) whose TRAINING masks raise if anything reads them: for weakly supervised methods."
    from gazekit.data import DATASETS, write_mini_kvasir
    root = write_mini_kvasir(tmp_path / "data", n=8)
    src = DATASETS["kvasir-seg"]
    train_ids, real_mask = set(src(root).ids("train")), src.mask
    def guarded(self, iid):
        if iid in train_ids: raise AssertionError(f"training mask {iid} was read by a weakly supervised method")
        return real_mask(self, iid)
    monkeypatch.setattr(src, "mask", guarded)
    return root
