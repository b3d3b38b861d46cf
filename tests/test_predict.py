"""`gazekit predict` and model export (issue 22, part 5): a finished smoke run segments image files of other formats,
modes and sizes; its CSV's Dice is gazekit.metrics' Dice on the files it wrote; a broken file is reported and the rest are
written; a folder that is not a finished run, or whose checkpoint is another run's, is refused; the exported network gives
PyTorch's logits."""
import json, shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from gazekit.cli import main
from gazekit.core import ConfigError, DataError, save_json
from gazekit.data import DATASETS, read_image
from gazekit.grid import run_one
from gazekit.metrics import segmentation_metrics
from gazekit.predict import (ImageFile, InferenceModel, export_model, load_run, predict_images, prepare_image,
                             read_ground_truth, run_exported)

pytestmark = pytest.mark.xdist_group("predict")     # under `pytest -n`, one process runs this file: its module fixtures are made once


def _png(path) -> Image.Image:
    "The image file at `path`, decoded (and the file closed)."
    with Image.open(path) as im:
        im.load(); return im


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    "One finished smoke run of the fully supervised baseline on the synthetic set (the way `gazekit train` makes it)."
    out = tmp_path_factory.mktemp("predict") / "run"
    res = run_one(out, dataset="synthetic", method="full", profile="smoke", seed=0)
    assert res["status"] == "ok", res.get("error")
    return out


@pytest.fixture(scope="module")
def run(run_dir):
    return load_run(run_dir, device="cpu")


@pytest.fixture(scope="module")
def images(run, tmp_path_factory):
    """The run's test images as RGB PNGs with their masks (0/255 PNG), a grey PNG and an RGB JPEG of other sizes (the JPEG
    with a {0, 1} palette mask), and a corrupt PNG."""
    d = tmp_path_factory.mktemp("images")
    (d / "in").mkdir(); (d / "masks").mkdir()
    src = DATASETS["synthetic"](None, **run.spec.source_options)
    ids = src.ids("test")
    for i in ids:
        Image.fromarray(src.image(i)).save(d / "in" / f"{i}.png")
        Image.fromarray(src.mask(i) * 255).save(d / "masks" / f"{i}.png")
    Image.fromarray(src.image(ids[0])).convert("L").resize((83, 57)).save(d / "in" / "grey.png")
    Image.fromarray(src.image(ids[1])).resize((45, 70)).save(d / "in" / "photo.jpg", quality=92)
    pm = Image.fromarray(src.mask(ids[1])).resize((45, 70), Image.NEAREST).convert("P")
    pm.save(d / "masks" / "photo.png")
    (d / "in" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))     # a PNG's signature, then nothing readable
    return d, ids


def test_predict_images_writes_masks_overlays_and_the_csv(run, run_dir, images, tmp_path):
    d, ids = images
    paths = sorted((d / "in").iterdir())
    df = predict_images(run, paths, tmp_path / "out", masks=d / "masks")
    csv = pd.read_csv(tmp_path / "out" / "predictions.csv", keep_default_na=False, na_values=[""])
    csv.index = [Path(p).stem for p in csv["image"]]
    assert list(csv["image"]) == [str(p) for p in paths] == list(df["image"])

    bad = csv.loc["broken"]
    assert "broken.png: cannot decode the image" in bad["error"] and "Fix:" in bad["error"]
    assert not (tmp_path / "out" / "broken_mask.png").exists() and not (tmp_path / "out" / "broken_overlay.png").exists()

    good = csv.drop(index="broken")
    assert (good["error"].isna()).all(), good["error"].tolist()
    for stem, r in good.iterrows():
        src, mask, ov = (_png(p) for p in (d / "in" / Path(r["image"]).name, tmp_path / "out" / f"{stem}_mask.png",
                                            tmp_path / "out" / f"{stem}_overlay.png"))
        assert mask.size == ov.size == src.size and (r["width"], r["height"]) == src.size, stem
        assert mask.mode == "L" and ov.mode == "RGB"
        m = np.asarray(mask)
        assert set(np.unique(m)) <= {0, 255}
        assert r["foreground"] == pytest.approx((m > 0).mean(), abs=1e-12)
        if stem == "grey":
            assert np.isnan(r["dice"]) and pd.isna(r["ground_truth"]); continue
        gt = read_ground_truth(r["ground_truth"])                           # the file the row names, read back from disk
        assert r["dice"] == pytest.approx(segmentation_metrics(m > 0, gt)["dice"], abs=1e-12), stem
    assert set(good.index) == {*ids, "grey", "photo"}

    # the run's own test images: the Dice its evaluation gave the same checkpoint on the same images (per_image.csv)
    own = pd.read_csv(run_dir / "per_image.csv").set_index("id")
    tol = 1e-6 if run.config["device"].startswith("CPU") else 2e-2   # a GPU run scored TF32 logits: a pixel at the threshold may flip
    np.testing.assert_allclose(good.loc[own.index, "dice"].to_numpy(float), own["dice"].to_numpy(float), atol=tol)


def test_preparation_is_the_datasets_own(run, images):
    "A PNG of a test image becomes bit for bit the dataset's own sample; a grey file goes in as its grey value."
    from gazekit.data import load_dataset
    d, ids = images
    s = prepare_image(run, d / "in" / f"{ids[2]}.png")
    ds = load_dataset("synthetic", split="test", supervision="full", size=run.size, source_kwargs=run.spec.source_options, cache=False)
    assert torch.equal(s["image"], ds[2]["image"]) and s["orig_size"] == ds[2]["orig_size"]
    grey = d / "in" / "grey.png"
    np.testing.assert_array_equal(ImageFile(grey, channels=1).image("grey"), read_image(grey)[..., 0].astype(np.float32))  # NCI-ISBI's way
    g = prepare_image(SimpleNamespace(channels=1, size=24), grey)                 # a grey run: one z-scored channel at its size
    assert tuple(g["image"].shape) == (1, 24, 24) and abs(float(g["image"].mean())) < 1e-4 and abs(float(g["image"].std()) - 1) < 0.05
    rgb = ImageFile(d / "in" / "photo.jpg", channels=1).image("photo")
    np.testing.assert_array_equal(rgb, np.asarray(_png(d / "in" / "photo.jpg").convert("L"), np.float32))


def test_the_command_exits_1_when_an_image_failed(run_dir, images, tmp_path, capsys):
    d, ids = images
    ok = [str(d / "in" / f"{i}.png") for i in ids[:2]]
    assert main(["predict", str(run_dir), *ok, "--masks", str(d / "masks"), "--out", str(tmp_path / "a"), "--device", "cpu"]) == 0
    assert "2 of 2 images predicted" in capsys.readouterr().out
    assert main(["predict", str(run_dir), *ok, str(d / "in" / "broken.png"), "--out", str(tmp_path / "b")]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "broken.png" in out and "2 of 3 images predicted" in out
    assert sorted(p.name for p in (tmp_path / "b").glob("*_mask.png")) == sorted(f"{i}_mask.png" for i in ids[:2])
    assert main(["predict", str(run_dir), str(d / "in"), "--out", str(tmp_path / "c")]) == 1          # a folder: its images
    assert len(pd.read_csv(tmp_path / "c" / "predictions.csv")) == len(list((d / "in").iterdir()))


def test_a_folder_that_is_not_a_finished_run_is_refused(run_dir, images, tmp_path):
    d, ids = images
    with pytest.raises(DataError, match="metrics.json is missing"): load_run(tmp_path)
    def copy(name):
        return Path(shutil.copytree(run_dir, tmp_path / name, ignore=shutil.ignore_patterns("*.ipynb", "*.png")))
    failed = copy("failed"); save_json({"status": "failed", "error": "boom"}, failed / "metrics.json")
    with pytest.raises(DataError, match=r"did not finish \(status 'failed': boom\)"): load_run(failed)
    other = copy("other")                                             # best.pt of a wider network than config.json says
    cfg = json.loads((other / "config.json").read_text()); cfg["spec"]["width"] *= 2; save_json(cfg, other / "config.json")
    with pytest.raises(DataError, match="best.pt does not belong to this run") as e: load_run(other)
    assert "architecture" in str(e.value) and "model" in str(e.value)
    broken = copy("broken"); (broken / "best.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(DataError, match="cannot load the checkpoint"): load_run(broken)
    gone = copy("gone"); (gone / "best.pt").unlink()
    with pytest.raises(DataError, match="no best.pt"): load_run(gone)
    assert main(["predict", str(gone), str(d / "in" / f"{ids[0]}.png"), "--out", str(tmp_path / "x")]) == 2
    with pytest.raises(ConfigError, match="share the name stem"):    # outputs that would overwrite each other: nothing written
        predict_images(load_run(run_dir, device="cpu"), [d / "in" / "grey.png", d / "masks" / "photo.png", d / "in" / "photo.jpg"], tmp_path / "y")
    assert not (tmp_path / "y").exists()


def _reference(run, x):
    with torch.no_grad(): return InferenceModel(run.method).eval()(x).numpy()


@pytest.mark.filterwarnings("ignore:.*torch.jit.load.*deprecated:FutureWarning")
def test_torchscript_export_matches_pytorch(run, run_dir, tmp_path):
    p = export_model(run, tmp_path / "net.pt")
    x = torch.randn(3, run.channels, run.size, run.size, generator=torch.Generator().manual_seed(7))
    loaded = torch.jit.load(str(p))                                    # torch alone, no gazekit
    with torch.no_grad(): got = loaded(x).numpy()
    want = _reference(run, x)
    assert got.shape == (3, 1, run.size, run.size) and np.abs(got - want).max() <= 1e-4
    assert np.abs(want).max() > 1e-3                                   # a real output, not zeros
    card = json.loads((tmp_path / "net.pt.json").read_text())
    assert card["input"]["shape"] == ["batch", run.channels, run.size, run.size] and card["max_abs_diff"] <= 1e-4
    assert main(["export", str(run_dir), str(tmp_path / "cli.pt")]) == 0 and (tmp_path / "cli.pt").is_file()


def test_onnx_export_matches_pytorch(run, tmp_path):
    pytest.importorskip("onnx", reason="ONNX export needs the onnx package (pip install onnx)")
    pytest.importorskip("onnxscript", reason="torch's ONNX exporter needs onnxscript (pip install onnxscript)")
    pytest.importorskip("onnxruntime", reason="checking the ONNX export needs onnxruntime (pip install onnxruntime)")
    p = export_model(run, tmp_path / "net.onnx", format="onnx")
    for batch in (1, 4):                                              # the batch size is free
        x = torch.randn(batch, run.channels, run.size, run.size, generator=torch.Generator().manual_seed(batch))
        got = run_exported(p, x)
        assert got.shape == (batch, 1, run.size, run.size) and np.abs(got - _reference(run, x)).max() <= 1e-4
    with pytest.raises(ConfigError, match=r"name an ONNX model \*.onnx"): export_model(run, tmp_path / "net.pt", format="onnx")


def test_class_index_masks_and_their_overlay(tmp_path):
    "A run of several classes (ACDC's four) reads single-channel masks of class indices, refuses others, and colours each class."
    from gazekit.predict import overlay
    lab = np.zeros((8, 9), np.uint8); lab[1:4, 1:4], lab[4:7, 5:8] = 1, 3
    Image.fromarray(lab).save(tmp_path / "ok.png")
    np.testing.assert_array_equal(read_ground_truth(tmp_path / "ok.png", num_classes=4), lab)
    Image.fromarray(np.stack([lab] * 3, -1)).save(tmp_path / "rgb.png")
    with pytest.raises(DataError, match="a RGB image in a mask of 4 classes"): read_ground_truth(tmp_path / "rgb.png", num_classes=4)
    with pytest.raises(DataError, match="class index 3 in a mask of 3 classes"): read_ground_truth(tmp_path / "ok.png", num_classes=3)
    ov = overlay(np.zeros((8, 9, 3), np.uint8), lab, num_classes=4)
    assert ov[1, 1].tolist() == [255, 0, 0] and ov[4, 5].tolist() == [0, 255, 255] and ov[0, 8].tolist() == [0, 0, 0]
    assert ov[2, 2].tolist() == [102, 0, 0]                            # inside class 1: red at 40 %
