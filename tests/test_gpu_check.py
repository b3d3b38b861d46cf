"""The GPU check's code path, run on the CPU in its dry mode (tiny sizes), so that it cannot break unseen; its data
preparation on a miniature Kvasir-SEG."""
import json, subprocess, sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"


def test_gpu_check_dry_runs_every_method_and_a_complete_run(tmp_path):
    r = subprocess.run([sys.executable, str(SCRIPT), "--dry", "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    rec = json.loads((tmp_path / "gpu.json").read_text())
    from gazekit.methods.core import METHODS, load_methods
    load_methods()
    assert sorted({s["method"] for s in rec["steps"]}) == sorted(METHODS)
    assert len(rec["steps"]) == 2 * len(METHODS) and not rec["errors"]          # fp32 and bf16 asked for each (bf16 is CUDA only)
    assert all(s["s_per_step"] > 0 for s in rec["steps"])
    assert rec["full_run"]["status"] == "ok" and rec["full_run"]["iterations"] == 4
    assert rec["dry"] and rec["device"].startswith("CPU") and rec["commit"]


def test_gpu_check_refuses_without_a_gpu_unless_dry(tmp_path):
    import torch
    if torch.cuda.is_available(): return
    r = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "--dry" in r.stderr and not (tmp_path / "gpu.json").exists()


def test_prepare_copies_kvasir_compactly_and_exactly(tmp_path):
    from gazekit.data.kvasir import write_mini_kvasir
    from gazekit.data import load_dataset
    src = tmp_path / "src"; write_mini_kvasir(src, n=6)
    r = subprocess.run([sys.executable, str(SCRIPT), "--prepare", "--data-root", str(src), "--devdata", str(tmp_path / "dev")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert not (tmp_path / "dev.partial").exists()
    a = load_dataset("kvasir-seg", root=src, split="test", supervision="full", size=32, cache=False)
    b = load_dataset("kvasir-seg", root=tmp_path / "dev", split="test", supervision="full", size=32, cache=False)
    assert a.ids == b.ids and len(a) > 0
    for i in range(len(a)): assert np.array_equal(a.original_mask(i), b.original_mask(i))
    bad = subprocess.run([sys.executable, str(SCRIPT), "--prepare", "--data-root", str(tmp_path / "nothing"), "--devdata", str(tmp_path / "d2")],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "no Kvasir-SEG" in bad.stderr and not (tmp_path / "d2").exists()
