"The training notebook through papermill, end to end on the smoke profile: records, figures, failures, the report."
import json

import nbformat
import pandas as pd
import numpy as np
import pytest

from gazekit.data import write_mini_kvasir
from gazekit.grid import run_grid, run_one
from gazekit.report import report
from gazekit.runs import run_dir, resolve_run
from gazekit.core import ConfigError


def _errors(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_smoke_run_through_papermill(tmp_path):
    out = tmp_path / "run"
    res = run_one(out, dataset="synthetic", method="gaze", profile="smoke", seed=3)
    assert res["status"] == "ok", res
    assert 0 <= res["test"]["dice"] <= 1 and res["test"]["n_images"] == 4 and res["iterations"] == 40
    assert res["protocol"] == "paper" and "test set" in res["selection"]
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["spec"]["seed"] == 3 and cfg["spec"]["method"] == "gaze" and cfg["label"] == "gaze"
    assert cfg["device"].startswith(("CPU", "NVIDIA")) and cfg["wall_s"] > 0 and cfg["commit"]
    assert cfg["train_config"]["optimizer"] == "adam" and cfg["model"] == {"model": "unet-ref", "width": 0.0625, "norm": "batch"}
    env = cfg["environment"]                                                    # what the numbers depend on besides the code
    assert set(env["packages"]) == {"torch", "numpy", "monai", "timm", "scipy", "pillow"} and all(env["packages"].values())
    assert len(env["fingerprint"]) == 12 and env["commit"] and len(env["code"]) == 12 and isinstance(env["dirty"], bool) and env["threads"] >= 1
    assert env["lock"] is not None                                              # this checkout has requirements.lock
    assert len(pd.read_csv(out / "per_image.csv")) == 4
    for fig in ("loss_curve.png", "predictions.png"):
        assert (out / fig).stat().st_size > 5_000
    nb = nbformat.read(out / "train.ipynb", as_version=4)
    assert not _errors(out / "train.ipynb")
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)     # papermill ran it with our parameters
    assert all(c.get("execution_count") for c in nb.cells if c.cell_type == "code")


def test_grid_records_failure_and_goes_on_then_reports(tmp_path):
    "A failing run is recorded as failed; the next run (real-data layout, clean protocol) still runs; the report lists both."
    root = write_mini_kvasir(tmp_path / "data", n=9)
    reports = tmp_path / "reports"
    g = run_grid("kvasir-seg", [("gaze", {"level": 5}), "gaze"], protocols=["clean"], profile="smoke", reports=reports,
                 data_root=str(root), say=lambda *a: None)
    assert g.status.tolist() == ["failed", "ok"]
    assert "IndexError" in g.error[0]
    assert (run_dir(reports, "kvasir-seg", "gaze+level=5", "clean", 0) / "train.ipynb").exists()
    good = json.loads((run_dir(reports, "kvasir-seg", "gaze", "clean", 0) / "metrics.json").read_text())
    assert good["test"]["n_images"] == 3 and "val_dice" in good                   # chosen on validation, test scored once
    cfg = json.loads((run_dir(reports, "kvasir-seg", "gaze", "clean", 0) / "config.json").read_text())
    assert cfg["n_train"] + cfg["n_eval"] == 6                                   # the validation image was carved out of training
    w = report(reports)
    md = w["markdown"].read_text()
    assert "| gaze | clean (chosen on validation) | heatmap | 1 |" in md and "Failed runs" in md and "gaze+level=5" in md
    assert "Not for comparison" in md and "73.74" not in md                     # a smoke table is a pipeline check: no paper number beside it
    assert pd.read_csv(w["claims"]).empty and "The papers' claims, tested" not in md    # nor is a claim tested on it
    m = run_dir(reports, "kvasir-seg", "gaze", "clean", 0) / "metrics.json"       # the same record, as if of a profile for results
    m.write_text(json.dumps({**good, "profile": "quick"}))
    w = report(reports); md = w["markdown"].read_text()
    claims = pd.read_csv(w["claims"])                                            # the papers' claims that name `gaze` on Kvasir-SEG
    assert {"gms-vs-gaze", "full-vs-gaze"} <= set(claims.id) and (claims.verdict == "not run").all()
    assert "The papers' claims, tested" in md and "not run: no finished run of full" in md
    assert "claim tests on the records in" in w["claims_status"].read_text()


def test_bad_parameters_fail_before_any_kernel(tmp_path):
    with pytest.raises(ConfigError, match="unknown profile"):
        run_grid("synthetic", "full", profile="medium", reports=tmp_path, say=lambda *a: None)
    with pytest.raises(ConfigError, match="unknown run parameter"):
        resolve_run(iteration=5)
    assert not any(tmp_path.iterdir())


def test_paper_numbers_stand_beside_their_setting_only():
    from gazekit.report import paper_setting, summarize
    assert paper_setting("hgdtgl", {}) == "labeled=5%" and paper_setting("hgdtgl", {"labeled": "10%"}) == "labeled=10%"
    assert paper_setting("gaze", {}) == "" and paper_setting("fgi", {}, head="teacher") is None
    # the report reads each row's options and head, never its label: the labels here could be anything
    rows = [dict(dataset=d, method=m, label=l, options=json.dumps(o), head=h, protocol="clean" if d == "acdc" else "paper", profile="quick", seed=0,
                 status="ok", dice=0.5, iou=0.4, hd95=1.0, asd=1.0, n_images=40, nan_hd95=0, last_dice=0.5)
            for d, m, l, o, h in (("acdc", "mt", "mt+labeled=10%", {"labeled": "10%"}, None), ("acdc", "hgdtgl", "hgdtgl", {}, None),
                                  ("acdc", "hgdtgl", "hgdtgl+labeled=10%", {"labeled": "10%"}, None), ("acdc", "mt", "mt", {}, None),
                                  ("acdc", "hgdtgl", "hgdtgl+gazemix=false", {"gazemix": False}, None),
                                  ("kvasir-seg", "fgi", "fgi", {}, None), ("kvasir-seg", "fgi", "fgi [teacher]", {}, "teacher"),
                                  ("kvasir-seg", "gazemedseg", "gazemedseg+levels=3", {"levels": 3}, None))]
    order = summarize(pd.DataFrame(rows)).label.tolist()           # the paper's setting first, then registry order (gazemedseg before fgi), variants after
    assert order == ["mt", "hgdtgl", "hgdtgl+gazemix=false", "mt+labeled=10%", "hgdtgl+labeled=10%", "gazemedseg+levels=3", "fgi", "fgi [teacher]"]
    tab = summarize(pd.DataFrame(rows)).set_index("label")
    assert tab.loc["hgdtgl", "paper_dice"] == 89.37 and tab.loc["hgdtgl+labeled=10%", "paper_dice"] == 90.87
    assert tab.loc["fgi", "paper_dice"] == 80.78
    assert tab.loc[["hgdtgl+gazemix=false", "fgi [teacher]", "gazemedseg+levels=3"], "paper_dice"].isna().all()
    # ACDC's papers chose on val.list: a test-chosen ACDC row never stands beside their number
    test_chosen = summarize(pd.DataFrame([{**r, "protocol": "paper"} for r in rows if r["dataset"] == "acdc"]))
    assert test_chosen.paper_dice.isna().all() and test_chosen.gap.isna().all()
    from gazekit.report import summary_markdown               # ACDC's table says its gaze is simulated; Kvasir-SEG's (real gaze) does not
    md = summary_markdown(summarize(pd.DataFrame(rows)))
    acdc, kvasir = md.split("## kvasir-seg")[0].split("## acdc")[1], md.split("## kvasir-seg")[1]
    assert "Gaze: **simulated**" in acdc and "simulated" not in kvasir
    assert "- `fgi [teacher]`: the teacher reads the test image's description besides" in kvasir   # a mode row says what it needs at test time
    from gazekit.report import mode_note
    assert mode_note("fgi", {"text": "shuffled"}, "teacher") and mode_note("fgi", {"text": "none"}, "teacher") is None   # no text: only the image
    assert mode_note("fgi", {}, None) is None
    assert "- `fgi`:" not in kvasir and "- `gazemedseg" not in kvasir and "- `" not in acdc       # a headline row needs no note
    assert "## acdc, labeled=5%, profile `quick`" in md and "## acdc, labeled=10%, profile `quick`" in md   # one table per setting
    ten = md.split("## acdc, labeled=10%")[1].split("##")[0]
    assert "| mt+labeled=10% |" in ten and "| hgdtgl+labeled=10% |" in ten and "| hgdtgl+gazemix=false |" not in ten


def test_initial_weights_follow_the_seed():
    "A run's seed fixes its initial weights (not only its batches): two builds with one seed are equal, another seed differs."
    import torch
    from gazekit.runs import build_data, build_method
    spec = lambda seed: resolve_run(dataset="synthetic", method="gazemedseg", profile="smoke", seed=seed)
    data = build_data(spec(0))
    first = lambda s: torch.cat([p.detach().flatten() for p in build_method(s, data).parameters()])
    torch.manual_seed(123)                              # whatever state the caller left behind
    a = first(spec(0)); torch.rand(7); b = first(spec(0))
    assert torch.equal(a, b) and not torch.equal(a, first(spec(1)))


def test_a_record_without_options_is_reported_failed_and_run_again(tmp_path):
    "Records from before gazekit stored the options: the report names the fix, the grid runs them again, nothing crashes."
    run_grid("synthetic", "gaze", profile="smoke", reports=tmp_path, say=lambda *a: None)
    p = run_dir(tmp_path, "synthetic", "gaze", "paper", 0) / "metrics.json"
    m = json.loads(p.read_text()); m.pop("options"); p.write_text(json.dumps(m))
    md = report(tmp_path)["markdown"].read_text()                  # every record old: an empty table, and the reason
    assert "metrics.json has no 'options'" in md and "tools/record_options.py" in md
    again = run_grid("synthetic", "gaze", profile="smoke", reports=tmp_path, say=lambda *a: None)
    assert again.ran.tolist() == [True] and json.loads(p.read_text())["options"] == {}


def test_an_edited_data_file_reruns_the_run(tmp_path):
    "A finished run is kept while its data are the same; a mask edited on disk makes the grid run it again, and say why."
    from PIL import Image
    root = write_mini_kvasir(tmp_path / "data", n=6)
    said, kw = [], dict(profile="smoke", reports=tmp_path / "reports", data_root=str(root), say=None)
    run = lambda: run_grid("kvasir-seg", "gaze", **{**kw, "say": said.append})
    assert run().ran.tolist() == [True]
    assert run().ran.tolist() == [False]
    Image.fromarray(np.zeros((48, 64), np.uint8)).save(root / "kvasir-seg" / "masks" / "img005.jpg")   # a test mask, redrawn
    said.clear()
    assert run().ran.tolist() == [True] and any("its data changed" in s for s in said), said
