"""Did a run's BatchNorm averages drift away from clean images? `python tools/bn_recalibration.py RUN_DIR [CHECKPOINT]`

Scores the run's checkpoint (default `last.pt`) on its test split twice: with the BatchNorm averages
as trained, and with them re-estimated (`gazekit.models.recalibrate_bn`) on the clean training images
alone. Methods that predict with `student` (FGI, the semi-supervised ones) are recalibrated there,
the others on the whole method. Needs the run's data (GAZEKIT_DATA)."""
import json, sys, tempfile
from pathlib import Path
from gazekit.data import collate
from gazekit.runs import RunSpec, build_data, build_method
from gazekit.methods.core import load_methods
from gazekit.models import recalibrate_bn
from gazekit.train import Trainer

def main(run:Path, ckpt:str="last.pt", batch:int=8) -> dict:
    load_methods()
    spec = RunSpec(**json.loads((run / "config.json").read_text())["spec"])
    data = build_data(spec); method = build_method(spec, data)
    tr = Trainer(method, data["train"], data["test"], spec.train_config(progress=False), out=Path(tempfile.mkdtemp()),
                 identity=spec.checkpoint_identity())
    tr.load(run / ckpt)
    res = {"as trained": tr.evaluate(data["test"])["dice"]}
    ds, net = data["train"], getattr(method, "student", method)
    n = recalibrate_bn(net, (collate([ds[i] for i in range(s, min(s + batch, len(ds)))])["image"] for s in range(0, len(ds), batch)))
    res["re-estimated on clean training images"] = tr.evaluate(data["test"])["dice"]
    print(f"{run} ({ckpt}): {n} BatchNorm layers, {len(ds)} training images; test Dice (%):",
          {k: round(100 * v, 2) for k, v in res.items()})
    return res

if __name__ == "__main__": main(Path(sys.argv[1]), *sys.argv[2:3])
