"""Fingerprint every registered method, to show a refactor changes no number.

For each method: a smoke run on the synthetic dataset (the `smoke` profile, seed 0, in
process), then a JSON record of its loss log, a SHA-256 of each trained weight tensor, the
test metrics of every named prediction, and the bytes of its logits on one fixed test batch.
Run it before and after a change, in one environment, and compare:

    python tools/fingerprint.py --out before.json
    python tools/fingerprint.py --out after.json --compare before.json

`--compare` prints every field that differs and exits 1 if any does. The weights are compared as
values (a refactor may rename a module); the tool says which methods' weight names changed.
"""
from __future__ import annotations
import argparse, hashlib, json, sys, tempfile
from pathlib import Path

import torch


def _sha(t: torch.Tensor) -> str:
    return hashlib.sha256(t.detach().cpu().contiguous().numpy().tobytes()).hexdigest()[:16]


def _heads(method) -> list:
    "The method's named predictions (None: its one prediction)."
    return list(getattr(method, "heads", ()) or getattr(method, "prediction_modes", ()) or [None])


def _logits(method, batch, head):
    "Logits of one batch for `head`, through whichever prediction API the method has."
    if hasattr(method, "predict_batch"):                         # the API before the method contract
        if head is None: return method.predict_batch(batch)
        old, method.predict_mode = method.predict_mode, head
        try: return method.predict_batch(batch)
        finally: method.predict_mode = old
    return method.predict(batch, head=head)


def fingerprint(name: str) -> dict:
    from gazekit.runs import resolve_run, build_data, build_method, final_metrics
    from gazekit.train import Trainer
    from gazekit.data import collate
    torch.set_num_threads(1)
    spec = resolve_run(dataset="synthetic", method=name, profile="smoke", seed=0, device="cpu")
    data = build_data(spec)
    method = build_method(spec, data)
    with tempfile.TemporaryDirectory() as d:
        tr = Trainer(method, data["train"], data["eval"], spec.train_config(progress=False, log_every=1), out=d)
        tr.fit()
        metrics, _ = final_metrics(tr, data, spec)
        log = [{k: v for k, v in h.items() if k != "time"} for h in tr.history]
    method.eval()
    ds = data["test"]
    b = collate([ds[i] for i in range(min(4, len(ds)))])
    b = {k: v for k, v in b.items() if k != "mask"}
    with torch.no_grad():
        outs = {str(h): _sha(_logits(method, b, h).float()) for h in _heads(method)}
    keep = ("status", "iterations", "selected_step", "test", "last", "modes")
    return {"log": log, "weights": {k: _sha(v) for k, v in method.state_dict().items()},
            "metrics": {k: metrics.get(k) for k in keep}, "logits": outs}


def diff(a, b, path="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in diff(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--methods", default="", help="comma-separated (default: every registered method)")
    ap.add_argument("--compare", default="", help="a fingerprint file to compare with")
    a = ap.parse_args(argv)
    from gazekit.methods.core import load_methods
    names = a.methods.split(",") if a.methods else load_methods()
    rec = {"torch": torch.__version__, "methods": {}}
    for n in names:
        rec["methods"][n] = fingerprint(n)
        print(f"{n}: {rec['methods'][n]['logits']}", flush=True)
    Path(a.out).write_text(json.dumps(rec, indent=1, sort_keys=True))
    if not a.compare: return 0
    old = json.loads(Path(a.compare).read_text())
    strip = lambda r: {n: {**m, "weights": sorted(m["weights"].values())} for n, m in r["methods"].items()}
    bad = diff(strip(old), strip(rec))                  # the weights as values: a refactor may rename a module
    renamed = [n for n in names if n in old["methods"] and set(old["methods"][n]["weights"]) != set(rec["methods"][n]["weights"])]
    if renamed: print(f"weight names changed (values compared): {', '.join(renamed)}")
    print("\n".join(bad) if bad else f"identical: {', '.join(names)} (log, weights, metrics, logits)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
