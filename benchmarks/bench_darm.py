"""Benchmark: FGI's DARM masking (random squares of side 3-10 px inside the band between the two gaze levels, placed one
after another until 30 % of the band is covered), gazekit's vectorised `darm_mask` against the per-pixel Python loop
`darm_mask_loop` doing the same masking with the same candidate squares, side by side in one run.

Target (issue: FGI): the vectorised masking >= 100x faster than the per-pixel loop, with identical masks.

The bands come from the gaze levels (0.5 / 0.3) of the synthetic dataset at the training size (batch 8, 224²), or of
real Kvasir-SEG with --dataset kvasir-seg and the data root set.

    .venv/bin/python benchmarks/bench_darm.py [--batch 8 --size 224 --dataset synthetic --device cpu] [--out reports/benchmarks]
"""
import argparse, json, platform, statistics, sys, time
from pathlib import Path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch", type=int, default=8); p.add_argument("--size", type=int, default=224)
    p.add_argument("--dataset", default="synthetic"); p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=2); p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--loop-repeats", type=int, default=3); p.add_argument("--candidates", type=int, default=1024)
    p.add_argument("--out", default="reports/benchmarks")
    a = p.parse_args(argv)
    import numpy as np, torch
    from gazekit.data import collate, load_dataset
    from gazekit.runs import device_name, git_commit
    from gazekit.methods.fgi import darm_candidates, darm_mask, darm_mask_blockwise, darm_mask_loop, strict_loose
    torch.set_num_threads(a.threads)
    ds = load_dataset(a.dataset, split="train", supervision="gaze", size=a.size, thresholds=(0.5, 0.3), augment=False)
    b = collate([ds[i] for i in range(a.batch)])
    pl1, pl2 = strict_loose(b["levels"])
    band = (pl1 != pl2).to(a.device)
    cand = darm_candidates(band, a.candidates, generator=torch.Generator(device=a.device).manual_seed(0))
    sync = torch.cuda.synchronize if a.device.startswith("cuda") else (lambda: None)

    def timed(fn, n):
        ts, out = [], None
        for _ in range(n):
            sync(); t0 = time.perf_counter(); out = fn(); sync(); ts.append(time.perf_counter() - t0)
        return statistics.median(ts), out
    t_fast, fast = timed(lambda: darm_mask(band, 0.3, candidates=cand), a.repeats)
    t_loop, slow = timed(lambda: darm_mask_loop(band, 0.3, cand), a.loop_repeats)
    t_block, blk = timed(lambda: darm_mask_blockwise(band, 0.3, cand), a.repeats)
    equal = bool(np.array_equal(fast.cpu().numpy(), slow) and np.array_equal(slow, blk))
    covered = ((fast & band).flatten(1).sum(1) / band.flatten(1).sum(1).clamp(min=1)).cpu().numpy()
    ratio = t_loop / t_fast
    rec = {"benchmark": "darm", "batch": a.batch, "size": a.size, "dataset": a.dataset, "device": device_name(a.device),
           "commit": git_commit(), "python": platform.python_version(), "torch": torch.__version__,
           "band_pixels_mean": float(band.flatten(1).sum(1).float().mean()), "covered_share": covered.round(3).tolist(),
           "vectorised_s": t_fast, "loop_s": t_loop, "blockwise_s": t_block, "speedup": ratio,
           "speedup_vs_blockwise": t_block / t_fast, "masks_equal": equal, "threads": a.threads,
           "target": "speedup >= 100 with equal masks", "pass": bool(equal and ratio >= 100)}
    print(f"DARM masking, batch {a.batch}, {a.size}², {a.dataset} gaze bands ({rec['band_pixels_mean']:.0f} band pixels per image), {rec['device']}")
    print(f"  per-pixel Python loop : {1e3 * t_loop:9.2f} ms")
    print(f"  blockwise Python loop : {1e3 * t_block:9.2f} ms   ({t_block / t_fast:.1f} x the vectorised time)")
    print(f"  vectorised darm_mask  : {1e3 * t_fast:9.2f} ms")
    print(f"  speedup               : {ratio:9.1f} x   masks equal: {equal}   covered share of the bands: {min(covered):.2f}-{max(covered):.2f}")
    print("  PASS" if rec["pass"] else "  FAIL (target: >= 100x, equal masks)")
    if a.out:
        from gazekit.core import save_json
        path = save_json(rec, Path(a.out) / "darm.json"); print(f"  record: {path}")
    return 0 if rec["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
