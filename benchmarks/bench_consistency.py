"""Benchmark: GazeMedSeg's "prop" smoothing (5x5 neighbours, dilation 2, softmax of max(0, <f_c, f_n>)), the naive way
(`unfold`: the 25 neighbours of every pixel materialised, then classified) against gazekit's (`affinity_smooth` on the
logits: one neighbour at a time), forward and backward, side by side in one run.

Target (issue: GazeMedSeg): at batch 8, 224², 128 channels, the efficient peak memory <= 1/4 of the naive one,
with equal values: max |diff| <= 1e-5 in float32 for the smoothed logits, and for the gradient of the features
relative to its largest entry (the gradients reach ~10 here, where float32 rounding alone is ~1e-6).

Each variant runs in a fresh process. Peak memory: on CUDA `torch.cuda.max_memory_allocated` above what the inputs
hold; on the CPU the process's peak resident memory above that of a baseline process that builds the same inputs and
runs the classifier alone.

    .venv/bin/python benchmarks/bench_consistency.py [--batch 8 --size 224 --channels 128 --device cpu] [--out reports/benchmarks]
"""
import argparse, json, os, platform, resource, subprocess, sys, tempfile, time
from pathlib import Path


def _inputs(a, torch):
    g = torch.Generator().manual_seed(0)
    # decoder features after GroupNorm + ReLU are non-negative and of order 1; the classifier is a 1x1 conv
    feats = torch.randn(a.batch, a.channels, a.size, a.size, generator=g).relu_().to(a.device).requires_grad_()
    clf = torch.nn.Conv2d(a.channels, 1, 1).to(a.device)
    with torch.no_grad():                                                  # the same classifier in every process
        clf.weight.copy_(torch.randn(clf.weight.shape, generator=g) / a.channels ** 0.5); clf.bias.fill_(0.1)
    return feats, clf


def worker(a):
    "One variant in this process: forward + backward, timed; peak memory; outputs saved for the comparison."
    import torch
    from gazekit.methods.gazemedseg import affinity_smooth, affinity_smooth_naive
    torch.set_num_threads(a.threads)
    feats, clf = _inputs(a, torch)
    cuda = a.device.startswith("cuda")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    def run():
        if a.variant == "naive": z = clf(affinity_smooth_naive(feats, 5, 2))
        elif a.variant == "efficient": z = affinity_smooth(feats, clf(feats), 5, 2)
        else: z = clf(feats)                                              # baseline: the inputs and the classifier alone
        feats.grad = None
        (z.sigmoid() * 0.5).sum().backward()
        return z.detach()
    if cuda: torch.cuda.reset_peak_memory_stats(); base = torch.cuda.memory_allocated()
    times = []
    for r in range(a.repeats):
        sync(); t0 = time.perf_counter(); z = run(); sync(); times.append(time.perf_counter() - t0)
    rec = {"variant": a.variant, "seconds": sorted(times)[len(times) // 2], "times": times}
    if cuda: rec["peak_bytes"] = torch.cuda.max_memory_allocated() - base
    else: rec["maxrss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if a.save: torch.save({"z": z.cpu(), "grad": feats.grad.cpu()}, a.save)
    print(json.dumps(rec))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=8); ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--channels", type=int, default=128); ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cuda" if os.environ.get("CUDA_VISIBLE_DEVICES", "x") != "" and _has_cuda() else "cpu")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", default="reports/benchmarks", help="folder for consistency.json ('' to not write it)")
    ap.add_argument("--variant", help=argparse.SUPPRESS); ap.add_argument("--save", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.variant: return worker(a)
    import torch
    from gazekit.runs import git_commit
    shape = f"batch {a.batch}, {a.size}², {a.channels} channels, {a.device}"
    print(f"GazeMedSeg prop smoothing, forward + backward ({shape}); each variant in its own process", flush=True)
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        for v in ("baseline", "efficient", "naive"):
            cmd = [sys.executable, __file__, "--variant", v, "--batch", str(a.batch), "--size", str(a.size), "--channels", str(a.channels),
                   "--repeats", str(a.repeats), "--device", a.device, "--threads", str(a.threads)]
            if v != "baseline": cmd += ["--save", f"{tmp}/{v}.pt"]
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                print(f"  {v}: FAILED (exit {p.returncode}; killed for memory?)\n{p.stderr[-2000:]}"); return 1
            res[v] = json.loads(p.stdout.strip().splitlines()[-1])
            print(f"  {v} done ({res[v]['seconds']:.2f} s per pass)", flush=True)
        ne, nn_ = torch.load(f"{tmp}/efficient.pt"), torch.load(f"{tmp}/naive.pt")
        dz = float((ne["z"] - nn_["z"]).abs().max()); dg = float((ne["grad"] - nn_["grad"]).abs().max())
        gscale = float(nn_["grad"].abs().max())
    key = "peak_bytes" if a.device.startswith("cuda") else "maxrss_bytes"
    peak = {v: res[v][key] - (0 if key == "peak_bytes" else res["baseline"][key]) for v in ("efficient", "naive")}
    gib = lambda b: b / 2**30
    rec = {"shape": dict(batch=a.batch, size=a.size, channels=a.channels, kernel=5, dilation=2), "device": a.device,
           "threads": a.threads, "peak_memory_GiB": {k: gib(v) for k, v in peak.items()},
           "memory_ratio_efficient_over_naive": peak["efficient"] / peak["naive"],
           "seconds": {v: res[v]["seconds"] for v in ("efficient", "naive")},
           "speedup_efficient_over_naive": res["naive"]["seconds"] / res["efficient"]["seconds"],
           "max_abs_diff": {"smoothed_logits": dz, "feature_grad": dg}, "feature_grad_max_abs": gscale,
           "feature_grad_rel_diff": dg / max(gscale, 1e-30),
           "memory_measure": "cuda max_memory_allocated" if key == "peak_bytes" else "peak RSS above a baseline process (inputs + classifier)",
           "targets": {"memory_ratio_max": 0.25, "max_abs_diff": 1e-5},
           "machine": f"{platform.processor() or platform.machine()}, {platform.system()}, python {platform.python_version()}, torch {torch.__version__}",
           "commit": git_commit()}
    print(f"                      peak memory       time per pass")
    print(f"  naive (unfold):     {gib(peak['naive']):8.2f} GiB    {res['naive']['seconds']:8.2f} s")
    print(f"  gazekit (logits):   {gib(peak['efficient']):8.2f} GiB    {res['efficient']['seconds']:8.2f} s")
    print(f"  ratio gazekit/naive: memory {rec['memory_ratio_efficient_over_naive']:.3f} (target <= 0.25), "
          f"time {1 / rec['speedup_efficient_over_naive']:.3f}")
    print(f"  max |diff|: smoothed logits {dz:.2e} (target <= 1e-5); feature gradient {dg:.2e} of max {gscale:.2e}, "
          f"relative {rec['feature_grad_rel_diff']:.2e} (target <= 1e-5)")
    ok = rec["memory_ratio_efficient_over_naive"] <= 0.25 and dz <= 1e-5 and rec["feature_grad_rel_diff"] <= 1e-5
    if a.out:
        from gazekit.core import save_json
        save_json(rec, Path(a.out) / "consistency.json"); print(f"  record: {Path(a.out) / 'consistency.json'}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def _has_cuda():
    try:
        import torch; return torch.cuda.is_available()
    except Exception: return False


if __name__ == "__main__":
    sys.exit(main())
