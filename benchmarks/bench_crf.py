"""Benchmark: the CRF-refined gaze maps of a whole dataset (`gazekit.data.dataset.crf_maps`), one process against one
process per core on the same images, side by side in one run; then the whole dataset with every core.

Target (issue: the paper profile follows the released recipes): the parallel maps equal the serial ones, the
parallel run is faster than the serial one on a machine with more than one core, and the time for every image of the
dataset is recorded. Nothing is read from or written to the cache (`cache=False`), so each run computes every map.

Needs the real data root (GAZEKIT_DATA) and pydensecrf2 (the crf extra).

    .venv/bin/python benchmarks/bench_crf.py [--dataset kvasir-seg --subset 100] [--out reports/benchmarks]
"""
import argparse, os, platform, sys, time
from pathlib import Path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="kvasir-seg"); p.add_argument("--subset", type=int, default=100)
    p.add_argument("--workers", type=int, default=0, help="parallel processes (0: every core)")
    p.add_argument("--skip-full", action="store_true", help="time only the subset")
    p.add_argument("--out", default="reports/benchmarks")
    a = p.parse_args(argv)
    import numpy as np
    from gazekit.core import find_data_root
    from gazekit.data import DATASETS
    from gazekit.data.dataset import crf_maps
    from gazekit.runs import git_commit
    root = find_data_root()
    if root is None: print("no data root (set GAZEKIT_DATA): nothing to measure"); return 0
    src = DATASETS.lookup(a.dataset, "bench_crf")(root)
    ids = [i for sp in src.splits for i in src.ids(sp)]
    workers = a.workers or os.cpu_count() or 1

    def timed(sub, w):
        t0 = time.perf_counter(); maps = crf_maps(src, sub, workers=w, cache=False); return time.perf_counter() - t0, maps
    sub = ids[:a.subset]
    t1, serial = timed(sub, 1)
    tn, par = timed(sub, workers)
    equal = all((x is None and y is None) or np.array_equal(x, y) for x, y in zip(serial, par))
    rec = {"benchmark": "crf", "dataset": a.dataset, "cpu_count": os.cpu_count(), "workers": workers, "commit": git_commit(),
           "python": platform.python_version(), "subset": len(sub), "serial_s": round(t1, 2), "parallel_s": round(tn, 2),
           "speedup": round(t1 / tn, 2), "maps_equal": bool(equal)}
    print(f"CRF maps of {len(sub)} {a.dataset} images: 1 process {t1:.1f} s, {workers} processes {tn:.1f} s "
          f"({t1 / tn:.2f} x), maps equal: {equal}")
    if not a.skip_full:
        tf, _ = timed(ids, workers)
        rec.update(all_images=len(ids), all_s=round(tf, 1), per_image_ms=round(1e3 * tf / len(ids), 1))
        print(f"all {len(ids)} images with {workers} processes: {tf:.0f} s ({1e3 * tf / len(ids):.0f} ms per image)")
    rec["pass"] = bool(equal and (workers == 1 or t1 / tn > 1))
    print("  PASS" if rec["pass"] else "  FAIL (target: equal maps, parallel faster)")
    if a.out:
        from gazekit.core import save_json
        print(f"  record: {save_json(rec, Path(a.out) / 'crf.json')}")
    return 0 if rec["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
