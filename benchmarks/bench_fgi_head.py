"""Benchmark: the cost of FGI's released head in a narrow network. The released code projects the U-Net's last stage to
128 channels and runs a head of two 128x128 1x1 convolutions on it, at full image resolution, in both networks and every
pass. At the quick profile's width (0.125) that fixed head costs more than the U-Nets; gazekit scales the projection with
the width (`proj_dim=0`: 128 x width, the released 128 at full width). This times one FGI training step (forward and
backward, the quick profile's shape: batch 8, 128², BatchNorm, synthetic data) with the fixed 128-d head and with the scaled
one, side by side in one process (interleaved repeats, the median of each), with the `gaze` baseline's step (one U-Net) for
scale.

Target: the scaled head's step at least 2x faster than the fixed head's.

    .venv/bin/python benchmarks/bench_fgi_head.py [--width 0.125 --size 128 --batch 8 --repeats 5 --threads 2] [--out reports/benchmarks]
"""
import argparse, platform, statistics, sys, time
from pathlib import Path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--width", type=float, default=0.125); p.add_argument("--size", type=int, default=128)
    p.add_argument("--batch", type=int, default=8); p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=2); p.add_argument("--out", default="reports/benchmarks")
    a = p.parse_args(argv)
    import torch
    from gazekit.data import collate
    from gazekit.runs import build_data, build_method, device_name, git_commit, resolve_run
    from gazekit.methods.fgi import fgi_proj_dim
    torch.set_num_threads(a.threads)

    def setup(method, **opts):
        spec = resolve_run(dataset="synthetic", method=method, profile="quick", width=a.width, size=a.size, batch_size=a.batch,
                           device="cpu", method_options=opts, source_options=dict(n_train=2 * a.batch, n_test=2, size=a.size))
        data = build_data(spec); torch.manual_seed(0); m = build_method(spec, data); m.total_iterations = spec.iterations
        batch = collate([data["train"][i] for i in range(a.batch)])
        opt = torch.optim.Adam(m.parameters(), 1e-3)
        def step(k=[0]):
            k[0] += 1; opt.zero_grad(); m.training_step(batch, k[0])["loss"].backward(); opt.step()
        step()                                                      # warm-up: allocations, oneDNN kernel choice
        return step, sum(q.numel() for q in m.parameters())

    variants = {"fgi, fixed 128-d head (released)": setup("fgi", proj_dim=128),
                f"fgi, scaled head ({fgi_proj_dim(0, a.width)}-d)": setup("fgi"),
                "gaze (one U-Net), for scale": setup("gaze")}
    times = {k: [] for k in variants}
    for _ in range(a.repeats):                                      # interleaved: the machine's drift hits every variant alike
        for k, (step, _) in variants.items():
            t0 = time.perf_counter(); step(); times[k].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    fixed, scaled, gaze = list(med.values())
    ratio = fixed / scaled
    rec = {"benchmark": "fgi_head", "width": a.width, "size": a.size, "batch": a.batch, "repeats": a.repeats, "threads": a.threads,
           "device": device_name("cpu"), "commit": git_commit(), "python": platform.python_version(), "torch": torch.__version__,
           "step_s": med, "parameters": {k: n for k, (_, n) in variants.items()}, "speedup": ratio,
           "scaled_vs_gaze": scaled / gaze, "target": "the scaled head's step >= 2x faster than the fixed 128-d head's",
           "pass": bool(ratio >= 2)}
    print(f"FGI training step, quick profile's shape (width {a.width}, batch {a.batch}, {a.size}²), {rec['device']}, median of {a.repeats}")
    for k, t in med.items(): print(f"  {k:36s}: {t:6.2f} s/step")
    print(f"  speedup of the scaled head: {ratio:.1f} x; FGI (two networks, several passes) costs {scaled / gaze:.1f} x one gaze U-Net step")
    print("  PASS" if rec["pass"] else "  FAIL (target: >= 2x)")
    if a.out:
        from gazekit.core import save_json
        print(f"  record: {save_json(rec, Path(a.out) / 'fgi_head.json')}")
    return 0 if rec["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
