"""Grids wider than one run (issue 20, item 6): `gazekit reproduce --jobs 2` runs two at once, each in its own slot; the
SLURM path through submitit's local executor, where a preempted job is requeued and continues from its `last.pt`.
(The failed-run-recorded case and the rows-in-grid-order case run in nbs/22_grid.ipynb, which `make test` executes.)"""
import json, os, signal, subprocess, sys, time
from pathlib import Path

import psutil, pytest

from gazekit.grid import GridJob, cluster_executor, _cores
from gazekit.runs import resolve_run, run_dir
from gazekit.core import read_json

SMOKE = dict(dataset="synthetic", profile="smoke", seed=0)


def test_reproduce_jobs_2(tmp_path):
    "Two runs at once from the command line: both finish, each had its own share of the cores, and a second call keeps them."
    cmd = [str(Path(sys.executable).parent/"gazekit"), "reproduce", "synthetic", "--methods", "full,gaze", "--seeds", "0",
           "--profile", "smoke", "--jobs", "2", "--reports", str(tmp_path)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert r.stdout.count("running on") == 2, r.stdout
    starts, ends = [], []
    for m in ("full", "gaze"):
        out = run_dir(tmp_path, "synthetic", m, "paper", 0)
        assert read_json(out/"metrics.json")["status"] == "ok"
        if len(_cores()) >= 2:
            assert f"({len(_cores()) // 2} threads)" in read_json(out/"config.json")["device"]
        starts.append((out/".job.json").stat().st_mtime); ends.append((out/"metrics.json").stat().st_mtime)
    assert max(starts) < min(ends), "the two runs did not overlap in time"
    r2 = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r2.returncode == 0 and r2.stdout.count("done before") == 2 and "running on" not in r2.stdout, r2.stdout


def test_submitit_preemption_requeues_and_resumes(tmp_path):
    "A job preempted mid-run (submitit's signal) stops its kernel, is requeued, and the requeued job resumes from last.pt."
    pytest.importorskip("submitit")
    params = dict(SMOKE, method="full", iterations=200, eval_every=20)
    spec = resolve_run(**params)
    out = run_dir(tmp_path, spec.dataset, spec.label, spec.protocol, spec.seed)
    ex = cluster_executor(tmp_path, "submitit-local", timeout_min=15)
    job = ex.submit(GridJob(out, True, params))
    t0 = time.time()
    while not (out/"last.pt").exists():                  # the first checkpoint: something to resume from
        assert time.time() - t0 < 240 and not job.done(), "the job did not reach its first checkpoint"
        time.sleep(0.2)
    # What SLURM does on preemption: USR2 to the job's task. (submitit's local `job._interrupt()` signals its controller
    # process instead, which has no handler for USR2 and dies, leaving the task running; so signal the task directly.)
    tasks = psutil.Process(job._process.pid).children()
    assert len(tasks) == 1, tasks
    tasks[0].send_signal(signal.SIGUSR2)
    res = job.result()
    assert res["status"] == "ok", res
    nb = (out/"train.ipynb").read_text()
    assert "resuming from" in nb, "the requeued job started afresh"
    recs = [json.loads(l) for l in (out/"log.jsonl").read_text().splitlines() if l.strip()]
    for kind in ("train", "eval"):                       # one log: no step twice in either kind of line, to the end
        steps = [r["step"] for r in recs if ("eval" in r) == (kind == "eval")]
        assert steps == sorted(set(steps)) and steps[-1] >= 199, (kind, steps)
    assert [r["step"] for r in recs if "eval" in r] == list(range(20, 201, 20))
    logs = " ".join(p.read_text() for p in (tmp_path/".submitit").rglob("*_log.*"))
    assert "preempted" in logs and "Requeued" in logs, logs[-2000:]
