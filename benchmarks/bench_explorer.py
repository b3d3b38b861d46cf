"""Benchmark: how long the gaze explorer takes to answer a slider, on real Kvasir-SEG images, side by side in one run with
the way it redrew before (a fresh figure per change, laid out and saved as a PNG).

Target (issue: workshop): a slider redraw (sigma, threshold, viewing time) under 0.5 s on a Kvasir-SEG image on this CPU;
the redraw after a change of image is reported too (it builds the image's frame).

Needs the data root (GAZEKIT_DATA) with Kvasir-SEG; the embedded synthetic set with --dataset synthetic.

    .venv/bin/python benchmarks/bench_explorer.py [--images 5 --repeats 4] [--out reports/benchmarks]
"""
import argparse, platform, statistics, sys, time
from pathlib import Path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="kvasir-seg"); p.add_argument("--images", type=int, default=5)
    p.add_argument("--repeats", type=int, default=4); p.add_argument("--out", default="reports/benchmarks")
    a = p.parse_args(argv)
    import matplotlib; matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from gazekit.core import find_data_root
    from gazekit.data import load_dataset
    if a.dataset != "synthetic" and find_data_root() is None:
        print("no data root (set GAZEKIT_DATA, or --dataset synthetic): nothing to measure"); return 0
    from gazekit.runs import git_commit
    from gazekit.viz import GazeExplorer, _png_bytes
    ds = load_dataset(a.dataset, split="test", supervision="gaze", size=None)
    samples = [ds.raw(i) for i in range(a.images)]
    ex = GazeExplorer(samples)
    moves = [("sigma", lambda k: setattr(ex.sigma, "value", 40.0 + 5 * (k % 20))),
             ("threshold", lambda k: setattr(ex.thresholds[0], "value", round(0.4 + 0.05 * (k % 8), 2))),
             ("time", lambda k: setattr(ex.time, "value", round(0.3 + 0.05 * (k % 14), 2)))]
    slider, image, before, k = [], [], [], 0
    for i in range(a.images):
        t0 = time.perf_counter(); ex.index.value = i; image.append(time.perf_counter() - t0)
        for _ in range(a.repeats):
            for name, move in moves:
                k += 1
                t0 = time.perf_counter(); move(k); slider.append(time.perf_counter() - t0)
                t0 = time.perf_counter(); f = ex.render(); _png_bytes(f, ex.dpi); plt.close(f); before.append(time.perf_counter() - t0)
    med = {"slider_s": statistics.median(slider), "slider_max_s": max(slider), "image_change_s": statistics.median(image),
           "fresh_figure_png_s": statistics.median(before)}
    rec = {"benchmark": "explorer", "dataset": a.dataset, "images": a.images, "redraws": len(slider), "commit": git_commit(),
           "python": platform.python_version(), "matplotlib": matplotlib.__version__, **med,
           "speedup_vs_fresh_figure": med["fresh_figure_png_s"] / med["slider_s"], "image_side_px": ex.max_side,
           "target": "median slider redraw < 0.5 s", "pass": bool(med["slider_s"] < 0.5)}
    print(f"gaze explorer on {a.images} {a.dataset} test images, {len(slider)} slider moves (sigma, threshold, viewing time)")
    print(f"  slider redraw (frame kept, JPEG)    : median {1e3 * med['slider_s']:7.0f} ms, max {1e3 * med['slider_max_s']:.0f} ms")
    print(f"  image change (new frame)            : median {1e3 * med['image_change_s']:7.0f} ms")
    print(f"  fresh figure + PNG (the old redraw) : median {1e3 * med['fresh_figure_png_s']:7.0f} ms   ({rec['speedup_vs_fresh_figure']:.1f} x slower)")
    print("  PASS" if rec["pass"] else "  FAIL (target: median slider redraw < 0.5 s)")
    if a.out:
        from gazekit.core import save_json
        path = save_json(rec, Path(a.out) / "explorer.json"); print(f"  record: {path}")
    return 0 if rec["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
