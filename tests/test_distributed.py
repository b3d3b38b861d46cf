"""Data-parallel training (torchrun, DistributedDataParallel, the gloo backend on the CPU): two processes sharing the
global batch train as one process does on that batch; only rank 0 writes; a killed run resumes; `gazekit train --nproc 2`."""
import json, os, subprocess, sys, textwrap
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.xdist_group("ddp")     # under `pytest -n`, one process runs this file: its module fixtures are made once

SCRIPT = textwrap.dedent('''
    import json, sys, torch, torch.nn as nn, torch.nn.functional as F
    from gazekit.methods.core import Method
    from gazekit.train import Trainer, TrainConfig
    from gazekit.data import load_dataset

    class Toy(Method):                                   # no batch normalisation: each process's share is normalised alike
        supervision = "full"
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 3, padding=1))
        def predict(self, batch, head=None): return self.net(batch["image"])
        def training_step(self, batch, step):
            return {"loss": F.binary_cross_entropy_with_logits(self.predict(batch)[:, 0], batch["mask"].float(), pos_weight=torch.tensor(8.0))}

    out, stop = sys.argv[1], int(sys.argv[2])
    kw = dict(size=32, cache=False, source_kwargs=dict(n_train=12, n_test=4, size=48))
    tr = load_dataset("synthetic", split="train", supervision="full", **kw)
    cfg = TrainConfig(iterations=12, batch_size=4, optimizer="sgd", lr=0.05, momentum=0.9, checkpoint_every=3, progress=False,
                      log_every=1, workers=0)
    torch.manual_seed(0)                                 # the same initial weights in every run (as build_method seeds them)
    t = Trainer(Toy(), tr, None, cfg, out)
    t.fit(resume=True, stop_at=stop or None)
    if t.rank == 0: torch.save(t.method.state_dict(), out + "/weights.pt")
''')

TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2"]


def _run(cmd, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env={**env, "OMP_NUM_THREADS": "1"}, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


def _losses(d):
    return {json.loads(l)["step"]: json.loads(l)["loss"] for l in (d / "log.jsonl").read_text().splitlines()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ddp")
    script = tmp / "toy.py"; script.write_text(SCRIPT)
    _run([sys.executable, str(script), str(tmp / "one"), "0"], tmp)                  # one process, the whole batch of 4
    _run(TORCHRUN + [str(script), str(tmp / "two"), "0"], tmp)                      # two processes, 2 samples each
    _run(TORCHRUN + [str(script), str(tmp / "killed"), "7"], tmp)                   # stopped after step 7 (checkpoint at 6) ...
    _run(TORCHRUN + [str(script), str(tmp / "killed"), "0"], tmp)                   # ... and resumed by a new torchrun
    return tmp


def test_two_processes_follow_the_single_process_loss_curve(runs):
    one, two = _losses(runs / "one"), _losses(runs / "two")
    assert sorted(two) == list(range(1, 13))                                       # rank 0 alone wrote the log, each step once
    # tolerance: float sums in another order (gradients averaged across processes), compounded over 12 SGD steps
    assert all(abs(one[s] - two[s]) <= 1e-4 * max(1.0, abs(one[s])) for s in one), (one, two)
    w1, w2 = (torch.load(runs / d / "weights.pt", weights_only=True) for d in ("one", "two"))
    assert all(torch.allclose(w1[k], w2[k], rtol=1e-4, atol=1e-5) for k in w1)


def test_a_stopped_data_parallel_run_resumes_exactly(runs):
    two, resumed = _losses(runs / "two"), _losses(runs / "killed")
    assert sorted(resumed) == list(range(1, 13))
    assert all(abs(two[s] - resumed[s]) <= 1e-6 for s in two), (two, resumed)     # same processes, same order: the same numbers
    w2, wk = (torch.load(runs / d / "weights.pt", weights_only=True) for d in ("two", "killed"))
    assert all(torch.allclose(w2[k], wk[k], atol=1e-6) for k in w2)


def test_gazekit_train_nproc_2(tmp_path):
    out = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    r = subprocess.run([str(Path(sys.executable).parent / "gazekit"), "train", "synthetic", "--method", "full", "--profile", "smoke",
                        "--iterations", "6", "--eval-every", "3", "--nproc", "2", "--out", str(out)],
                       capture_output=True, text=True, timeout=600, env={**env, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:] + (out / "torchrun.log").read_text()[-3000:]
    m = json.loads((out / "metrics.json").read_text())
    assert (m["status"], m["processes"], m["iterations"]) == ("ok", 2, 6)
    steps = [json.loads(l)["step"] for l in (out / "log.jsonl").read_text().splitlines() if '"loss"' in l]
    assert steps == sorted(set(steps)) and steps[-1] == 6                       # one writer
    assert (out / "train.ipynb").exists() and (out / "torchrun.log").exists()
    assert "optimizer" not in torch.load(out / "best.pt", weights_only=True)     # the selected weights alone
