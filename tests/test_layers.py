"The house's layers: no gazekit module imports a higher one, and there is no import cycle (tools/check_layers.py)."
import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location("check_layers", Path(__file__).parents[1] / "tools" / "check_layers.py")
check_layers = importlib.util.module_from_spec(spec); spec.loader.exec_module(check_layers)


def test_the_package_has_no_upward_import_and_no_cycle():
    assert check_layers.check() == []


def test_an_upward_import_a_lazy_one_and_a_cycle_are_caught(tmp_path):
    pkg = tmp_path / "gazekit"; (pkg / "methods").mkdir(parents=True)
    (pkg / "core.py").write_text("def f():\n    from gazekit.train import Trainer\n")           # lazy, upward
    (pkg / "train.py").write_text("from .data import collate\n")
    (pkg / "data.py").write_text("from .metrics import x\n")
    (pkg / "metrics.py").write_text("from . import data\n")                                    # data <-> metrics
    (pkg / "methods" / "fgi.py").write_text("from ..grid import run\n")
    (pkg / "grid.py").write_text("")
    (pkg / "newroom.py").write_text("")
    bad = check_layers.check(pkg)
    assert "core (rank 0) imports train (rank 7): upward" in bad
    assert "methods.fgi (rank 6) imports grid (rank 10): upward" in bad
    assert any(b.startswith("cycle: ") and "data" in b and "metrics" in b for b in bad)
    assert "newroom: no rank in tools/check_layers.py LAYERS" in bad
    assert not any(b.startswith("train") for b in bad)


def test_a_package_init_is_ranked_and_its_relative_imports_resolve(tmp_path):
    pkg = tmp_path / "gazekit"; (pkg / "data").mkdir(parents=True)
    (pkg / "data" / "__init__.py").write_text("from .core import Source\nfrom .kvasir import KvasirSEG\n")
    (pkg / "data" / "core.py").write_text("from ..gaze import read_gaze\n")
    (pkg / "data" / "kvasir.py").write_text("from .core import Source\nfrom .dataset import load_dataset\n")  # a source above
    (pkg / "data" / "dataset.py").write_text("from .core import Source\n")
    (pkg / "gaze.py").write_text("")
    bad = check_layers.check(pkg)
    assert bad == ["data.kvasir (rank 3.1) imports data.dataset (rank 3.2): upward"]


def test_a_dataset_named_outside_its_source_is_caught(tmp_path):
    pkg = tmp_path / "gazekit"; (pkg / "data").mkdir(parents=True)
    (pkg / "data" / "acdc.py").write_text('@register_dataset("acdc")\nclass ACDC:\n    seed = ("acdc", 1)\n')
    (pkg / "runs.py").write_text('"""Runs on acdc and others."""\nPROFILES = {"paper": {"acdc": 256}}\n')
    assert check_layers.named_datasets(pkg) == [
        "runs, line 2: names the dataset 'acdc' (declare it in data.acdc)"]
    assert check_layers.named_datasets() == []
