"A training run killed mid-way (SIGKILL, a real process) and resumed ends exactly where an uninterrupted run ends."
import json, signal, subprocess, sys, textwrap, time

import torch

SCRIPT = textwrap.dedent('''
    import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F
    from gazekit.methods.core import Method
    from gazekit.train import Trainer, TrainConfig
    from gazekit.data import load_dataset
    from gazekit.core import save_json

    class Toy(Method):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Dropout2d(0.2), nn.Conv2d(8, 1, 3, padding=1))
        def predict(self, batch, head=None): return self.net(batch["image"])
        def training_step(self, batch, step):
            time.sleep(float(sys.argv[2]))                        # slow enough to be killed mid-way
            return {"loss": F.binary_cross_entropy_with_logits(self.predict(batch)[:, 0], batch["mask"].float(),
                                                               pos_weight=torch.tensor(8.0))}

    out = sys.argv[1]
    kw = dict(size=32, cache=False, source_kwargs=dict(n_train=12, n_test=4, size=48))
    tr = load_dataset("synthetic", split="train", supervision="full", **kw)
    te = load_dataset("synthetic", split="test", supervision="full", **kw)
    torch.manual_seed(0)
    cfg = TrainConfig(iterations=30, batch_size=4, optimizer="adam", lr=0.02, min_lr=1e-3, eval_every=30, checkpoint_every=3,
                      progress=False, log_every=1)
    t = Trainer(Toy(), tr, te, cfg, out)
    t.fit(resume=True)
    m = t.evaluate()
    save_json({"dice": m["dice"], "iou": m["iou"], "step": t.step}, out + "/metrics.json")
''')


def run(script, out, delay="0"):
    return subprocess.Popen([sys.executable, str(script), str(out), delay], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_kill_and_resume(tmp_path):
    script = tmp_path / "train_toy.py"; script.write_text(SCRIPT)
    ref = run(script, tmp_path / "ref"); assert ref.wait(timeout=300) == 0, ref.stderr.read().decode()

    p = run(script, tmp_path / "killed", delay="0.15")
    log, deadline = tmp_path / "killed" / "log.jsonl", time.time() + 240
    while time.time() < deadline:                                   # wait until it is well past a checkpoint
        if log.exists() and sum(1 for _ in log.open()) >= 11: break
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL); p.wait()
    steps_done = sum(1 for _ in log.open())
    assert 10 <= steps_done < 30, steps_done                       # it really died mid-way
    assert not (tmp_path / "killed" / "metrics.json").exists()

    again = run(script, tmp_path / "killed"); assert again.wait(timeout=300) == 0, again.stderr.read().decode()
    a = json.loads((tmp_path / "ref" / "metrics.json").read_text())
    b = json.loads((tmp_path / "killed" / "metrics.json").read_text())
    assert a == b and a["step"] == 30 and a["dice"] > 0.2
    wa = torch.load(tmp_path / "ref" / "last.pt", weights_only=True)["method"]
    wb = torch.load(tmp_path / "killed" / "last.pt", weights_only=True)["method"]
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    steps = [json.loads(l)["step"] for l in log.read_text().splitlines() if '"loss"' in l]
    assert steps == list(range(1, 31))                              # the log has each step once
