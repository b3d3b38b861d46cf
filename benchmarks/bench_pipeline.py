"""Benchmark: the training loop's own costs, side by side in one run (issue 20, item 3), on this machine's CPU.

1. trainer overhead: `gazekit.train.Trainer.fit` against a bare PyTorch loop (the same method, initial weights,
   batches, optimiser and schedule; no logging, no checks, no workers), one warm-up, then the three in rotating
   order, many short repeats. This machine's speed drifts by 10-20 % over minutes (a shared VM), so the overhead is
   the median over repeats of each repeat's own ratio (Trainer / bare, run back to back), with a 95 % bootstrap
   interval over the repeats; a ratio of medians taken minutes apart would carry the drift.
   Target: the Trainer (its default workers for this machine) at most 5 % slower (the median ratio). Also the Trainer with one worker
   process, whatever the default: on a machine whose cores the step's own threads fill, what a worker costs.
2. data throughput: images per second that ONE pipeline worker builds (each method's batch of the paper profile,
   224², its gaze map and per-sample targets such as GradTrack's track maps), against the images per second of
   the `full` training step at the same shape on this CPU: the pipeline must outpace the step.
3. evaluation cost per checkpoint: an intermediate evaluation before (Dice, IoU, HD95, ASD at the original
   resolution) and after (Dice and IoU, what selection uses) on the same test images and network.
4. GazeMedSeg's cross-level consistency ("prop") against its two networks' forward and backward: the step with
   consistency="none" against the full step (paper width 1.0, 224²; a smaller batch, which scales both alike).
   Target: at most 30 % on top.

Real data (Kvasir-SEG with GazeMedSeg's gaze; ACDC for the semi-supervised methods) where GAZEKIT_DATA points at it,
else the embedded synthetic set (said in the record).

    .venv/bin/python benchmarks/bench_pipeline.py [--quick] [--out reports/benchmarks]
"""
import argparse, json, math, os, platform, statistics, sys, time
from pathlib import Path


def _spec(**kw):
    from gazekit.runs import resolve_run
    return resolve_run(device="cpu", **kw)


def _real(name):
    root = os.environ.get("GAZEKIT_DATA")
    return bool(root) and (Path(root) / name).is_dir()


def _bootstrap_median(xs, seed, n=2000):
    "95 % percentile-bootstrap interval of the median of `xs`."
    import random
    rng = random.Random(seed)
    meds = sorted(statistics.median(rng.choices(xs, k=len(xs))) for _ in range(n))
    return [meds[int(0.025 * n)], meds[int(0.975 * n) - 1]]


def trainer_overhead(a):
    import torch
    from gazekit.runs import build_data, build_method
    from gazekit.train import Trainer, training_batch, _to
    ds = "kvasir-seg" if _real("kvasir-seg") else ""
    spec = _spec(dataset=ds, method="full", profile="quick", iterations=a.trainer_steps, eval_every=10**6)
    data = build_data(spec)

    def bare():
        m = build_method(spec, data)
        t = Trainer(m, data["train"], None, spec.train_config(progress=False))   # only to build the same optimiser and schedule
        opt, sched, c = t.opt, t.sched, t.cfg
        m.train()
        t0 = time.perf_counter()
        for s in range(c.iterations):
            b = _to(training_batch(data["train"], c.batch_size, s, c.seed), "cpu")
            loss = m.training_step(b, s)["loss"]
            opt.zero_grad(set_to_none=True); loss.backward(); opt.step(); sched.step()
        return time.perf_counter() - t0, float(loss.detach())

    def trainer(workers):
        m = build_method(spec, data)
        t = Trainer(m, data["train"], None, spec.train_config(progress=False, workers=workers))
        t0 = time.perf_counter(); t.fit(); dt = time.perf_counter() - t0
        return dt, t.history[-1]["loss"]

    times = {"bare": [], "trainer": [], "trainer_one_worker": []}
    losses = {}
    runs = [("bare", bare), ("trainer", lambda: trainer(-1)), ("trainer_one_worker", lambda: trainer(1))]
    bare()                                                           # warm-up (allocator, caches), not counted
    for r in range(a.trainer_repeats):
        for k, f in runs[r % 3:] + runs[:r % 3]:                     # the order rotates: none always goes first
            dt, losses[k] = f(); times[k].append(dt)
            print(f"  [{r + 1}/{a.trainer_repeats}] {k}: {dt:.2f} s", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = {k: [t / b for t, b in zip(times[k], times["bare"])] for k in ("trainer", "trainer_one_worker")}
    over = {k: statistics.median(v) - 1 for k, v in ratio.items()}
    ci = {k: _bootstrap_median(v, a.seed) for k, v in ratio.items()}
    from gazekit.train import resolve_workers
    return {"dataset": spec.dataset, "profile": "quick", "size": spec.size, "batch_size": spec.batch_size, "width": spec.width,
            "steps": a.trainer_steps, "repeats": a.trainer_repeats, "seconds": times, "median_s": med,
            "trainer_workers": resolve_workers(-1, "cpu"),
            "ratios": ratio, "overhead": over["trainer"], "overhead_one_worker": over["trainer_one_worker"],
            "overhead_ci95": [x - 1 for x in ci["trainer"]], "overhead_one_worker_ci95": [x - 1 for x in ci["trainer_one_worker"]],
            "final_loss": losses, "target_overhead_max": 0.05}


def data_throughput(a):
    import torch
    from gazekit.methods.core import METHODS, load_methods
    from gazekit.runs import build_data, build_method
    from gazekit.train import StepBatches
    load_methods()
    rows = []
    for name in sorted(METHODS):
        semi = METHODS[name].supervision == "semi"
        ds = ("acdc" if _real("acdc") else "") if semi else ("kvasir-seg" if _real("kvasir-seg") else "")
        if a.quick: ds = ""
        spec = _spec(dataset=ds, method=name, profile="paper", width=0.0625, iterations=1)   # a thin network: only its options matter here
        data = build_data(spec)
        m = build_method(spec, data)
        prep = None if type(m).prepare_batch is METHODS["full"].prepare_batch else m.prepare_batch
        sb = StepBatches(data["train"], spec.batch_size, spec.seed, m.labeled_fraction, prep)
        sb[0]                                                          # warm: first reads of the memory-mapped cache
        n = a.batches
        t0 = time.perf_counter()
        for s in range(1, n + 1): sb[s]
        dt = time.perf_counter() - t0
        rows.append({"method": name, "dataset": spec.dataset, "size": spec.size, "batch_size": spec.batch_size,
                     "gaze_map": data["train"].gaze_map, "augment": data["train"].augment,
                     "prepare_batch": prep is not None, "ms_per_batch": 1000 * dt / n,
                     "images_per_s_per_worker": n * spec.batch_size / dt})
        print(f"  {name:>12} ({spec.dataset}, {data['train'].gaze_map}): {rows[-1]['images_per_s_per_worker']:.0f} images/s per worker", flush=True)
    # the training step at the same shape, full width, on this CPU
    from gazekit.train import Trainer
    spec = _spec(dataset="", method="full", profile="paper", iterations=2, eval_every=10**6, batch_size=4 if a.quick else 8,
                 source_options=dict(n_train=16, n_test=2, size=224))
    data = build_data(spec)
    t = Trainer(build_method(spec, data), data["train"], None, spec.train_config(progress=False, workers=0, log_every=1))
    t.fit(stop_at=1); t0 = time.perf_counter(); t.fit(); step = time.perf_counter() - t0
    return {"per_method": rows, "full_step": {"size": spec.size, "batch_size": spec.batch_size, "width": spec.width,
                                              "seconds": step, "images_per_s": spec.batch_size / step}}


def eval_cost(a):
    import torch
    from gazekit.runs import build_data, build_method
    from gazekit.train import Trainer
    ds = "" if a.quick or not _real("kvasir-seg") else "kvasir-seg"
    spec = _spec(dataset=ds, method="full", profile="quick", size=224, iterations=1)
    data = build_data(spec)
    t = Trainer(build_method(spec, data), data["train"], data["test"], spec.train_config(progress=False))
    t._original_mask(data["test"], 0)
    res = {"before": [], "after": []}
    for r in range(a.repeats):
        for k, dist in (("before", True), ("after", False)):
            t0 = time.perf_counter(); m = t.evaluate(distances=dist); res[k].append(time.perf_counter() - t0)
        print(f"  [{r + 1}/{a.repeats}] with distances {res['before'][-1]:.1f} s, Dice/IoU only {res['after'][-1]:.1f} s", flush=True)
    med = {k: statistics.median(v) for k, v in res.items()}
    return {"dataset": spec.dataset, "n_images": m["n_images"], "size": spec.size, "width": spec.width, "seconds": res,
            "median_s": med, "ratio_after_over_before": med["after"] / med["before"]}


def consistency_cost(a):
    import torch
    from gazekit.runs import build_data, build_method
    from gazekit.train import Trainer
    out = {}
    bs = 2
    for cons in ("none", "prop"):
        spec = _spec(dataset="", method="gazemedseg", profile="paper", iterations=a.repeats + 1, eval_every=10**6, batch_size=bs,
                     method_options={"consistency": cons}, source_options=dict(n_train=16, n_test=2, size=224),
                     data_options={"gaze_map": "heatmap"})
        data = build_data(spec)
        t = Trainer(build_method(spec, data), data["train"], None, spec.train_config(progress=False, workers=0, log_every=1))
        t.fit(stop_at=1)                                              # warm-up step
        times = []
        for s in range(2, a.repeats + 2):
            t0 = time.perf_counter(); t.fit(stop_at=s); times.append(time.perf_counter() - t0)
        out[cons] = times
        print(f"  consistency={cons}: {statistics.median(times):.1f} s per step", flush=True)
    med = {k: statistics.median(v) for k, v in out.items()}
    return {"width": 1.0, "size": 224, "batch_size": bs, "seconds": out, "median_s": med,
            "consistency_share": med["prop"] / med["none"] - 1, "target_max": 0.30}


def render(rec:dict) -> str:
    "The record as the markdown summary written beside it (pipeline.md): every number read from the record."
    pc = lambda v: f"{100 * v:+.1f} %"
    L = [f"# The training loop's costs on this CPU", "",
         f"Measured by `benchmarks/bench_pipeline.py` at commit `{rec['commit'][:10]}`, torch {rec['torch']}, Python {rec['python']}, "
         f"{rec['cpu_count']} cores, {rec['threads']} torch threads. Verdict: **{'PASS' if rec['pass'] else 'FAIL'}**.", ""]
    if o := rec.get("trainer"):
        L += ["## Trainer against a bare PyTorch loop", "",
              f"{o['dataset'] or 'synthetic'}, {o['size']}², batch {o['batch_size']}, {o['steps']} steps per repeat, {o['repeats']} paired repeats "
              "(median of the per-repeat ratios, 95 % bootstrap interval over the repeats).", "",
              "| loop | median s | overhead | 95 % interval |", "|---|---|---|---|",
              f"| bare | {o['median_s']['bare']:.2f} | | |",
              f"| Trainer, default workers ({o['trainer_workers']}) | {o['median_s']['trainer']:.2f} | {pc(o['overhead'])} | "
              f"[{pc(o['overhead_ci95'][0])}, {pc(o['overhead_ci95'][1])}] |",
              f"| Trainer, one worker | {o['median_s']['trainer_one_worker']:.2f} | {pc(o['overhead_one_worker'])} | "
              f"[{pc(o['overhead_one_worker_ci95'][0])}, {pc(o['overhead_one_worker_ci95'][1])}] |", "",
              f"Target: at most {pc(o['target_overhead_max'])}.", ""]
    if d := rec.get("data"):
        f = d["full_step"]
        L += ["## Data pipeline against the step", "",
              f"One worker's batches (paper profile) per second, against the `full` training step at {f['size']}², batch {f['batch_size']} "
              f"on this CPU: {f['images_per_s']:.2f} images/s.", "", "| method | dataset | gaze map | images/s per worker | ms per batch |", "|---|---|---|---|---|"]
        L += [f"| {r['method']} | {r['dataset'] or 'synthetic'} | {r['gaze_map']} | {r['images_per_s_per_worker']:.0f} | {r['ms_per_batch']:.1f} |" for r in d["per_method"]]
        L += [""]
    if e := rec.get("eval"):
        L += ["## An intermediate evaluation", "",
              f"{e['n_images']} test images of {e['dataset'] or 'synthetic'}: {e['median_s']['before']:.1f} s with HD95 and ASD at the original "
              f"resolution (before), {e['median_s']['after']:.1f} s with Dice and IoU only (after): {e['ratio_after_over_before']:.2f} of the time.", ""]
    if c := rec.get("consistency"):
        L += ["## GazeMedSeg's cross-level consistency", "",
              f"Paper width, {c['size']}², batch {c['batch_size']}: {c['median_s']['none']:.1f} s per step without, {c['median_s']['prop']:.1f} s with "
              f"(\"prop\"): {pc(c['consistency_share'])} (target at most {pc(c['target_max'])}).", ""]
    return "\n".join(L)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny sizes, synthetic data, for a check that it runs")
    ap.add_argument("--steps", type=int, default=40, help="steps per run of the data, eval and consistency parts")
    ap.add_argument("--trainer-steps", type=int, default=20, help="steps per repeat of the trainer part")
    ap.add_argument("--repeats", type=int, default=5, help="repeats of the data, eval and consistency parts")
    ap.add_argument("--trainer-repeats", type=int, default=12, help="repeats of the trainer part (short and many: see above)")
    ap.add_argument("--seed", type=int, default=0, help="the bootstrap's seed")
    ap.add_argument("--batches", type=int, default=10)
    ap.add_argument("--render", metavar="JSON", help="only write the markdown summary of an existing record beside it")
    ap.add_argument("--parts", default="trainer,data,eval,consistency")
    ap.add_argument("--out", default="reports/benchmarks", help="folder for pipeline.json ('' to not write it)")
    a = ap.parse_args(argv)
    if a.render:
        p = Path(a.render); p.with_suffix(".md").write_text(render(json.loads(p.read_text()))); print(f"wrote {p.with_suffix('.md')}")
        return 0
    if a.quick: a.steps, a.repeats, a.batches, a.trainer_steps, a.trainer_repeats = 6, 1, 2, 4, 2
    import torch
    from gazekit.runs import git_commit
    parts = a.parts.split(",")
    rec = {"benchmark": "pipeline", "commit": git_commit(), "torch": torch.__version__, "python": platform.python_version(),
           "cpu_count": os.cpu_count(), "threads": torch.get_num_threads(), "quick": a.quick}
    for name, f in (("trainer", trainer_overhead), ("data", data_throughput), ("eval", eval_cost), ("consistency", consistency_cost)):
        if name in parts:
            print(f"{name}:", flush=True); rec[name] = f(a)
    ok = True
    if "trainer" in rec:
        o = rec["trainer"]; ok &= o["overhead"] <= 0.05
        iv = lambda k: f"[{100 * o[k][0]:+.1f}, {100 * o[k][1]:+.1f}]"
        print(f"trainer overhead {100 * o['overhead']:+.1f} % {iv('overhead_ci95')} with {o['trainer_workers']} worker(s), "
              f"{100 * o['overhead_one_worker']:+.1f} % {iv('overhead_one_worker_ci95')} with one (target <= +5 %; 95 % intervals)")
    if "data" in rec:
        slowest = min(r["images_per_s_per_worker"] for r in rec["data"]["per_method"])
        print(f"data: slowest method {slowest:.0f} images/s per worker; the full step on this CPU {rec['data']['full_step']['images_per_s']:.2f} images/s")
        ok &= slowest > rec["data"]["full_step"]["images_per_s"]
    if "eval" in rec:
        e = rec["eval"]; print(f"evaluation per checkpoint: {e['median_s']['before']:.1f} s before, {e['median_s']['after']:.1f} s after ({e['n_images']} images)")
    if "consistency" in rec:
        c = rec["consistency"]; ok &= c["consistency_share"] <= 0.30
        print(f"GazeMedSeg consistency: {100 * c['consistency_share']:+.1f} % on top of its two networks' step (target <= +30 %)")
    rec["pass"] = bool(ok)
    if a.out and not a.quick:
        from gazekit.core import save_json
        save_json(rec, Path(a.out) / "pipeline.json"); print(f"record: {Path(a.out) / 'pipeline.json'}")
        (Path(a.out) / "pipeline.md").write_text(render(rec)); print(f"summary: {Path(a.out) / 'pipeline.md'}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
