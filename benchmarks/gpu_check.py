"""The GPU check (issue 20, item 4): on a machine with an NVIDIA GPU, in at most --budget seconds (default 480),
1. every method's paper-profile training step (full width, 224², the profile's batch), through the Trainer with
   its data pipeline: seconds per step and peak GPU memory, in fp32 (TF32 matmuls) and in bf16;
2. one complete `full` paper-profile run of Kvasir-SEG through papermill (the records a user gets), if the
   measured step time says it fits in what is left of the budget (else the record says why it was skipped);
and writes reports/benchmarks/gpu.json with the device's name, torch and CUDA versions and the commit.

It runs from a bare copy of the working tree (`PYTHONPATH=. python3 benchmarks/gpu_check.py`), with the
compact copy of the real data that one command builds beside it (ignored by git; its size is printed):

    .venv/bin/python benchmarks/gpu_check.py --prepare           # ../shared/data (or $GAZEKIT_DATA) -> .devdata/
    PYTHONPATH=. python3 benchmarks/gpu_check.py                 # on the GPU machine (make gpu-check)
    .venv/bin/python benchmarks/gpu_check.py --dry --out /tmp/x  # the same code path on a CPU, tiny sizes (tested)
"""
import argparse, json, os, platform, shutil, statistics, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEVDATA = ROOT / ".devdata"


def prepare(src:Path, dst:Path, n_train:int=150, quality:int=50) -> dict:
    """The compact data copy (small enough to travel beside the working tree): Kvasir-SEG's test images and the first
    `n_train` of its training list, images re-encoded as JPEG at `quality` (same size), masks re-encoded small (binary,
    checked equal), the gaze rows of those images, and split lists naming them."""
    import numpy as np, pandas as pd
    from PIL import Image
    from gazekit.core import GazeKitError
    from gazekit.data.core import read_mask, split_ids
    if not (src / "kvasir-seg" / "images").is_dir():
        raise GazeKitError("no Kvasir-SEG under the data root", where=str(src), fix="pass --data-root (the folder holding kvasir-seg/ and gazemedseg/).")
    splits = {"train": split_ids("kvasir-seg", "train", src)[:n_train], "test": split_ids("kvasir-seg", "test", src)}
    tmp = dst.with_name(dst.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    for d in ("kvasir-seg/images", "kvasir-seg/masks", "gazemedseg", "splits/kvasir-seg"): (tmp / d).mkdir(parents=True)
    for iid in splits["train"] + splits["test"]:
        Image.open(src / "kvasir-seg" / "images" / f"{iid}.jpg").convert("RGB").save(tmp / "kvasir-seg" / "images" / f"{iid}.jpg", quality=quality)
        m = read_mask(src / "kvasir-seg" / "masks" / f"{iid}.jpg")
        q = tmp / "kvasir-seg" / "masks" / f"{iid}.jpg"
        Image.fromarray((m > 0).astype(np.uint8) * 255).save(q, quality=95)
        if not np.array_equal(read_mask(q), m): raise GazeKitError("a re-encoded mask differs", where=str(q), fix="report this: masks must survive exactly.")
    for k, ids in splits.items(): (tmp / "splits" / "kvasir-seg" / f"{k}.txt").write_text("".join(i + "\n" for i in ids))
    gz = pd.read_csv(src / "gazemedseg" / "kvasir_fixation.csv")
    keep = set(splits["train"]) | set(splits["test"])
    gz[gz["IMAGE"].astype(str).map(lambda s: Path(s).stem in keep)].to_csv(tmp / "gazemedseg" / "kvasir_fixation.csv", index=False)
    shutil.rmtree(dst, ignore_errors=True); tmp.rename(dst)      # nothing half-written under the final name
    mb = sum(f.stat().st_size for f in dst.rglob("*") if f.is_file()) / 2**20
    return {"path": str(dst), "MiB": round(mb, 1), "n_train": len(splits["train"]), "n_test": len(splits["test"])}


def step_times(method:str, precision:str, dry:bool, device:str, steps:int) -> dict:
    "Seconds per training step (median after warm-up, each step synchronised by its log line) and peak memory, paper shape."
    import torch
    from gazekit.runs import resolve_run, build_data, build_trainer
    kw = dict(size=32, width=0.0625, batch_size=4) if dry else {}
    spec = resolve_run(method=method, profile="paper", iterations=steps, eval_every=10**6, device=device,
                       source_options=dict(n_train=64 if not dry else 8, n_test=2, size=224 if not dry else 32),
                       data_options={"gaze_map": "heatmap"}, train={"precision": precision, "log_every": 1}, **kw)
    data = build_data(spec)
    cuda = device == "cuda"
    if cuda: torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
    t = build_trainer(spec, data)
    t.fit()
    times = [h["time"] for h in t.history if "loss" in h]
    per = [b - a for a, b in zip(times, times[1:])][2:] or [times[-1]]   # the first steps warm up (cuDNN autotuning, allocations)
    rec = {"method": method, "precision": t.precision, "batch_size": spec.batch_size, "size": spec.size, "width": spec.width,
           "s_per_step": statistics.median(per), "images_per_s": spec.batch_size / statistics.median(per), "steps_timed": len(per),
           "workers": t.cfg.workers if t.cfg.workers >= 0 else None}
    if cuda: rec["peak_gib"] = torch.cuda.max_memory_allocated() / 2**30
    del t, data
    return rec


def full_run(dry:bool, device:str, budget_left:float, step_s:float) -> dict:
    "One complete `full` paper-profile run of Kvasir-SEG (papermill, records), where it fits in `budget_left` seconds."
    from gazekit.grid import run_one
    from gazekit.runs import resolve_run
    if dry:
        from gazekit.data.kvasir import write_mini_kvasir
        root = Path(tempfile.mkdtemp()); write_mini_kvasir(root, n=8)
        params = dict(dataset="kvasir-seg", method="full", profile="smoke", iterations=4, data_root=str(root), device=device)
    else:
        root = Path(os.environ.get("GAZEKIT_DATA") or DEVDATA)
        if not (root / "kvasir-seg").is_dir(): return {"status": "skipped", "why": f"no Kvasir-SEG under {root} (run --prepare)"}
        params = dict(dataset="kvasir-seg", method="full", profile="paper", data_root=str(root), device=device)
    spec = resolve_run(**params)
    need = spec.iterations * step_s * 1.15 + 60                        # steps, 15 evaluations, the notebook's start and records
    if not dry and need > budget_left:
        return {"status": "skipped", "why": f"estimated {need:.0f} s > {budget_left:.0f} s left of the budget", "iterations": spec.iterations}
    out = Path(tempfile.mkdtemp()) / "run"
    t0 = time.time(); res = run_one(out, **params); wall = time.time() - t0
    keep = {k: res.get(k) for k in ("status", "error", "iterations", "selected_step", "protocol", "precision")}
    return {**keep, "wall_s": round(wall, 1), "test_dice": (res.get("test") or {}).get("dice"), "profile": spec.profile}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prepare", action="store_true", help="build the compact data copy in --devdata and exit")
    ap.add_argument("--data-root", default=os.environ.get("GAZEKIT_DATA") or str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--devdata", default=str(DEVDATA))
    ap.add_argument("--n-train", type=int, default=150, help="--prepare: training images kept (the test list is kept whole)")
    ap.add_argument("--dry", action="store_true", help="the same code path on a CPU, tiny sizes")
    ap.add_argument("--budget", type=float, default=480.0, help="seconds in all (default 480)")
    ap.add_argument("--steps", type=int, default=12, help="training steps per method and precision (default 12)")
    ap.add_argument("--methods", default="", help="comma-separated (default: every registered method)")
    ap.add_argument("--out", default=str(ROOT / "reports" / "benchmarks"), help="folder for gpu.json")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if a.prepare:
        from gazekit.core import GazeKitError
        try: print(json.dumps(prepare(Path(a.data_root), Path(a.devdata), a.n_train))); return 0
        except GazeKitError as e: print(f"gpu_check --prepare: {e}", file=sys.stderr); return 2
    import torch
    from gazekit.methods.core import METHODS, load_methods
    from gazekit.runs import git_commit, device_name
    t_start = time.time()
    if not a.dry and not torch.cuda.is_available():
        print("gpu_check: no CUDA GPU here; run it on a GPU machine, or pass --dry for the CPU check of its code path", file=sys.stderr)
        return 2
    device = "cpu" if a.dry else "cuda"
    load_methods()
    methods = [m for m in a.methods.split(",") if m] or sorted(METHODS)
    rec = {"benchmark": "gpu_check", "dry": a.dry, "device": device_name(device), "commit": git_commit(ROOT),
           "torch": torch.__version__, "cuda": torch.version.cuda, "python": platform.python_version(),
           "budget_s": a.budget, "steps": [], "errors": []}
    print(f"gpu_check on {rec['device']} (torch {rec['torch']}, CUDA {rec['cuda']}), budget {a.budget:.0f} s", flush=True)
    for precision in ("fp32", "bf16"):
        for m in methods:
            if time.time() - t_start > 0.6 * a.budget:
                rec["errors"].append(f"{m} {precision}: skipped, 60 % of the budget spent"); continue
            try: r = step_times(m, precision, a.dry, device, a.steps if not a.dry else 4)
            except Exception as e:                                     # one method's failure (e.g. out of memory) is recorded; the rest go on
                rec["errors"].append(f"{m} {precision}: {type(e).__name__}: {str(e)[:300]}"); print(f"  {m} {precision}: FAILED {e}", flush=True); continue
            rec["steps"].append(r)
            print(f"  {m:>12} {r['precision']}: {r['s_per_step'] * 1000:8.1f} ms per step, {r['images_per_s']:7.1f} images/s"
                  + (f", peak {r['peak_gib']:.1f} GiB" if "peak_gib" in r else ""), flush=True)
    full = [r for r in rec["steps"] if r["method"] == "full" and r["precision"] == "fp32"]
    left = a.budget - (time.time() - t_start)
    rec["full_run"] = full_run(a.dry, device, left, full[0]["s_per_step"] if full else float("inf"))
    print(f"  full paper run: {json.dumps(rec['full_run'])}", flush=True)
    rec["wall_s"] = round(time.time() - t_start, 1)
    from gazekit.core import save_json
    p = save_json(rec, Path(a.out) / "gpu.json")
    print(f"record: {p} ({rec['wall_s']} s)")
    ok = not rec["errors"] and rec["full_run"].get("status") in ("ok", "skipped")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
