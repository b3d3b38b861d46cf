"""Smoke run of every method in the paper profile's shape on the CPU: full-width networks, the profile's image size
and batch, its optimiser, precision and gaze map, but a few steps on the synthetic dataset at the training size.
Each method runs in its own process; the record says its wall time per step and its peak resident memory.

This is not a speed target: it shows that every paper-profile run builds, trains, evaluates and writes its records,
and how much memory one needs on a CPU before anyone spends a GPU hour on it.

    .venv/bin/python benchmarks/paper_shape_smoke.py [--methods full,gaze --steps 2 --threads 2] [--out reports/benchmarks]
"""
import argparse, json, os, platform, resource, subprocess, sys, tempfile, time
from pathlib import Path


def one(method:str, steps:int, threads:int) -> dict:
    "Train `method` for `steps` steps in the paper profile's shape (in this process); its numbers."
    import torch
    torch.set_num_threads(threads)
    from gazekit.runs import resolve_run, build_data, build_method, final_metrics, write_records, describe_run
    from gazekit.train import Trainer
    spec = resolve_run(method=method, profile="paper", iterations=steps, eval_every=steps, device="cpu",
                       source_options=dict(n_train=48, n_test=4, size=224))
    plan = describe_run(spec)
    data = build_data(spec)
    model = build_method(spec, data)
    with tempfile.TemporaryDirectory() as out:
        tr = Trainer(model, data["train"], data["eval"], spec.train_config(progress=False), out=out, identity=spec.checkpoint_identity())
        t0 = time.perf_counter(); tr.fit(); t_fit = time.perf_counter() - t0
        metrics, per_image = final_metrics(tr, data, spec)
        write_records(out, spec, tr, metrics, per_image, t_fit)
        sizes = {p.name: p.stat().st_size for p in Path(out).glob("*.pt")}
    return {"method": method, "steps": steps, "batch_size": spec.batch_size, "size": spec.size, "width": spec.width,
            "precision": tr.precision, "gaze_map": plan["data"]["gaze_map"], "augment": plan["data"]["augment"],
            "optimizer": plan["optimizer"]["optimizer"], "parameters": sum(p.numel() for p in model.parameters()),
            "fit_s": round(t_fit, 1), "s_per_step": round(t_fit / steps, 1),
            "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
            "checkpoint_mib": {k: round(v / 2**20, 1) for k, v in sizes.items()}, "status": metrics["status"]}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--methods", default=None, help="comma-separated (default: every registered method)")
    p.add_argument("--steps", type=int, default=2); p.add_argument("--threads", type=int, default=2)
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)            # the child process: one method
    p.add_argument("--out", default="reports/benchmarks")
    a = p.parse_args(argv)
    if a.one:
        print(json.dumps(one(a.one, a.steps, a.threads))); return 0
    from gazekit.methods.core import METHODS, load_methods
    from gazekit.runs import git_commit
    import torch
    load_methods()
    methods = a.methods.split(",") if a.methods else list(METHODS)
    rows = []
    for m in methods:
        r = subprocess.run([sys.executable, __file__, "--one", m, "--steps", str(a.steps), "--threads", str(a.threads)],
                           capture_output=True, text=True)
        row = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else {"method": m, "status": "failed", "error": r.stderr[-2000:]}
        rows.append(row)
        print(json.dumps(row) if row["status"] != "ok" else
              f"{m:>11}: {row['parameters'] / 1e6:6.1f} M parameters, batch {row['batch_size']} at {row['size']}², {row['precision']}, "
              f"gaze map {row['gaze_map']}: {row['s_per_step']:6.1f} s per step, peak memory {row['peak_rss_gib']:5.2f} GiB", flush=True)
    rec = {"benchmark": "paper_shape_smoke", "commit": git_commit(), "python": platform.python_version(), "torch": torch.__version__,
           "cpu_count": os.cpu_count(), "threads": a.threads, "runs": rows, "pass": all(r["status"] == "ok" for r in rows)}
    if a.out:
        from gazekit.core import save_json
        print(f"record: {save_json(rec, Path(a.out) / 'paper_shape_smoke.json')}")
    return 0 if rec["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
