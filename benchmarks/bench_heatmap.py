"""Benchmark: the papers' heatmap recipe (`mode="paper"`, a 768x768 canvas blurred with scipy) against
gazekit's exact shortcut (`mode="fast"`), on every real Kvasir-SEG track, side by side in one run.

Targets (issue: Foundation I): max |paper - fast| <= 0.01 on all 1000 images, fast >= 100x faster.
Also prints the papers' sanity check, mean Dice of heatmap > 0.5 against the true masks (72-75 %).

    GAZEKIT_DATA=../shared/data .venv/bin/python benchmarks/bench_heatmap.py [--limit N] [--out reports/benchmarks]
"""
import argparse, json, platform, subprocess, sys, time
from pathlib import Path

import numpy as np

from gazekit.core import data_root, find_data_root, save_json
from gazekit.gaze import read_gazemedseg_csv, heatmap, levels, binary_dice
from gazekit.data import read_mask


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=None, help="data root (default: $GAZEKIT_DATA)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N images")
    ap.add_argument("--out", default="reports/benchmarks", help="folder for heatmap.json")
    a = ap.parse_args(argv)
    root = data_root(a.root) if a.root else find_data_root()   # a root given must exist; none given: skip without the data
    if root is None: print("no data root (set GAZEKIT_DATA or --root): nothing to measure"); return 0
    fx = read_gazemedseg_csv(root / "gazemedseg" / "kvasir_fixation.csv")
    items = list(fx.items())[: a.limit]
    # one run, side by side: a timed pass of each mode over the same tracks (a pass of its own keeps each mode's
    # working set in cache, as it would be when computing a dataset's maps), then the comparison, untimed
    heatmap(items[0][1], mode="fast"); heatmap(items[0][1], mode="paper")     # one-time set-up of both modes
    t0 = time.perf_counter(); fast = [heatmap(f, mode="fast") for _, f in items]; t_fast = time.perf_counter() - t0
    print(f"  fast pass done ({t_fast:.1f} s)", flush=True)
    t_paper, worst, dices = 0.0, 0.0, []
    for i, ((iid, f), hf) in enumerate(zip(items, fast)):
        t0 = time.perf_counter(); hp = heatmap(f, mode="paper"); t_paper += time.perf_counter() - t0
        worst = max(worst, float(np.abs(hp - hf).max()))
        m = read_mask(root / "kvasir-seg" / "masks" / f"{iid}.jpg")
        dices.append(binary_dice(levels(hf, 0.5)[0], m))
        if (i + 1) % 200 == 0: print(f"  paper pass: {i + 1}/{len(items)} images", flush=True)
    n = len(items)
    rec = {"images": n, "paper_ms_per_image": 1000 * t_paper / n, "fast_ms_per_image": 1000 * t_fast / n,
           "speedup": t_paper / t_fast, "max_abs_diff": worst, "dice_heatmap_0.5_percent": 100 * float(np.mean(dices)),
           "targets": {"max_abs_diff": 0.01, "speedup": 100, "dice_range": [72, 75]},
           "machine": f"{platform.processor() or platform.machine()}, {platform.system()}, python {platform.python_version()}",
           "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()}
    print(f"Kvasir-SEG heatmaps, {n} images (one run, side by side)")
    print(f"  paper (768² canvas + gaussian_filter + cubic resize): {rec['paper_ms_per_image']:8.2f} ms/image")
    print(f"  fast  (separable rank-n product, exact):              {rec['fast_ms_per_image']:8.2f} ms/image")
    print(f"  speed-up: {rec['speedup']:.0f}x   (target >= 100x)")
    print(f"  max |paper - fast| over all images: {worst:.2e}   (target <= 0.01)")
    print(f"  mean Dice(heatmap > 0.5, mask): {rec['dice_heatmap_0.5_percent']:.2f} %   (papers: 72-75 %)")
    ok = worst <= 0.01 and rec["speedup"] >= 100
    if a.limit is None:
        save_json(rec, Path(a.out) / "heatmap.json"); print(f"  record: {Path(a.out) / 'heatmap.json'}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
