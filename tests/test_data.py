"Datasets: layouts, failure cases, and the weak-supervision guarantee (no training mask, ever)."
import numpy as np
import pytest
import torch
from PIL import Image

from gazekit.core import DataError, ConfigError, IGNORE_INDEX
from gazekit.data import (DATASETS, load_dataset, write_mini_kvasir, collate, check_dataset, carve_validation,
                          make_synthetic_image)
from gazekit.gaze import write_gazemedseg_csv
from gazekit.simulate import simulate_fixations


# ---------------------------------------------------------------- small on-disk datasets written here
@pytest.fixture
def mini(tmp_path):
    return write_mini_kvasir(tmp_path / "mini", n=6)


def write_nci(root, n=4, size=32):
    pytest.importorskip("pydicom")
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid, MRImageStorage
    d = root / "nci-isbi"; (d / "images").mkdir(parents=True); (d / "masks").mkdir()
    rng, ids, fx = np.random.default_rng(0), [], {}
    for i in range(n):
        iid = f"Prostate3T-01-000{i}_{10 + i}"; ids.append(iid)
        img = (rng.random((size, size)) * 800).astype(np.uint16)
        m = np.zeros((size, size), np.uint8); m[8:20, 10:24] = 1
        meta = FileMetaDataset(); meta.MediaStorageSOPClassUID = MRImageStorage; meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset(); ds.file_meta = meta; ds.SOPClassUID = MRImageStorage; ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.Rows, ds.Columns = size, size; ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = ds.BitsStored = 16; ds.HighBit = 15; ds.PixelRepresentation = 0
        ds.RescaleSlope, ds.RescaleIntercept = 2, -5
        ds.PixelData = img.tobytes()
        ds.save_as(d / "images" / f"{iid}.dcm", enforce_file_format=True)
        Image.fromarray(m * 2).save(d / "masks" / f"{iid}.png")            # labels {0, 2}: any > 0 is prostate
        fx[iid] = simulate_fixations(m, rng, image_id=iid)
    (root / "gazemedseg").mkdir(exist_ok=True)
    write_gazemedseg_csv(fx, root / "gazemedseg" / "nci-isbi_fixation.csv")
    (root / "splits" / "nci-isbi").mkdir(parents=True)
    (root / "splits" / "nci-isbi" / "train.txt").write_text("\n".join(ids[:3]) + "\n")
    (root / "splits" / "nci-isbi" / "test.txt").write_text(ids[3] + "\n")
    return root


def write_acdc(root, n_train=6, size=24):
    h5py = pytest.importorskip("h5py")
    d = root / "acdc"; (d / "data").mkdir(parents=True)
    rng = np.random.default_rng(0)
    def lab():
        l = np.zeros((size, size), np.uint8); l[6:18, 6:18] = 2; l[8:16, 8:16] = 3; l[4:8, 10:20] = 1; return l
    names = [f"patient{p:03d}_frame01_slice_{k}" for p in (1, 2) for k in range(n_train // 2)]
    for nm in names:
        with h5py.File(d / "data" / f"{nm}.h5", "w") as f:
            f["image"] = rng.random((size, size)).astype(np.float32); f["label"] = lab()
    with h5py.File(d / "data" / "patient101_frame01.h5", "w") as f:
        f["image"] = rng.random((3, size, size)).astype(np.float32); f["label"] = np.stack([lab()] * 3)
    (d / "train_slices.list").write_text("\n".join(names) + "\n")
    (d / "val.list").write_text("patient101_frame01\n"); (d / "test.list").write_text("patient101_frame01\n")
    return root


def write_isic(root, n=5, size=40):
    d = root / "isic2018"; (d / "images").mkdir(parents=True); (d / "masks").mkdir()
    rng = np.random.default_rng(3)
    for i in range(n):
        img, m = make_synthetic_image(rng, size)
        Image.fromarray(img).save(d / "images" / f"ISIC_{i:07d}.jpg")
        Image.fromarray(m * 255).save(d / "masks" / f"ISIC_{i:07d}_segmentation.png")
    return root


def all_training_sets(tmp_path):
    mini = write_mini_kvasir(tmp_path / "k", n=6)
    return [("synthetic", None, {}), ("kvasir-seg", mini, {}), ("nci-isbi", write_nci(tmp_path / "n"), {}),
            ("acdc", write_acdc(tmp_path / "a"), {}), ("isic2018", write_isic(tmp_path / "i"), {})]


# ---------------------------------------------------------------- the weak-supervision guarantee
def test_weak_supervision_never_reads_or_yields_a_training_mask(tmp_path, monkeypatch):
    """Under supervision='gaze' no training sample carries a mask, and the source's mask reader is never called:
    a reader that explodes on use proves the masks are not even loaded, so nothing can leak through a cache."""
    for name, root, kw in all_training_sets(tmp_path):
        src_cls = DATASETS[name]
        def boom(self, iid, _name=name): raise AssertionError(f"{_name}: training mask {iid} was read under weak supervision")
        monkeypatch.setattr(src_cls, "mask", boom)
        ds = load_dataset(name, root, split="train", supervision="gaze", size=16, cache=False,
                          source_kwargs=dict(n_train=5, n_test=2) if name == "synthetic" else None)
        batch = collate([ds[i] for i in range(len(ds))])
        assert "mask" not in batch, name
        assert not batch["labeled"].any(), name
        assert "levels" in batch and "heatmap" in batch, name
        with pytest.raises(ConfigError, match="withheld"):
            ds.original_mask(0)
        monkeypatch.undo()


def test_the_guarantee_can_fail(tmp_path):
    "The same check under full supervision must see masks: the test above is not vacuous."
    ds = load_dataset("synthetic", split="train", supervision="full", size=16, cache=False, source_kwargs=dict(n_train=3, n_test=1))
    assert all("mask" in ds[i] for i in range(len(ds)))


def test_semi_supervision_masks_only_the_first_n(tmp_path):
    root = write_acdc(tmp_path / "a")
    ds = load_dataset("acdc", root, split="train", supervision="semi", n_labeled=2, size=16, cache=False)
    has = [("mask" in ds[i]) for i in range(len(ds))]
    assert has == [True, True] + [False] * (len(ds) - 2)
    b = collate([ds[0], ds[4]])
    assert b["labeled"].tolist() == [True, False] and (b["mask"][1] == IGNORE_INDEX).all()


# ---------------------------------------------------------------- failure cases
def test_truncated_image(mini):
    p = mini / "kvasir-seg" / "images" / "img000.jpg"
    p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 3])
    with pytest.raises(DataError, match=r"img000\.jpg: cannot decode the image .* Fix: the file is truncated"):
        load_dataset("kvasir-seg", mini, split="train", size=16, cache=False)


def test_mask_of_wrong_size(mini):
    Image.fromarray(np.zeros((7, 9), np.uint8)).save(mini / "kvasir-seg" / "masks" / "img005.jpg")   # a test image
    with pytest.raises(DataError, match=r"img005: mask is 7x9 but the image is 48x64"):
        load_dataset("kvasir-seg", mini, split="test", size=16, cache=False)
    rep = check_dataset("kvasir-seg", mini)
    assert not rep["ok"] and [p["kind"] for p in rep["problems"]] == ["size"]


def test_bad_arguments(mini):
    with pytest.raises(ConfigError, match="unknown dataset"): load_dataset("kvasir", mini)
    with pytest.raises(ConfigError, match="supervision"): load_dataset("kvasir-seg", mini, supervision="weak")
    with pytest.raises(ConfigError, match="val_fraction"): load_dataset("kvasir-seg", mini, split="val")
    with pytest.raises(DataError, match="GAZEKIT_DATA|not an existing folder"): load_dataset("kvasir-seg", mini / "nowhere")


# ---------------------------------------------------------------- each layout loads
def test_nci_isbi_dicom(tmp_path):
    root = write_nci(tmp_path)
    tr = load_dataset("nci-isbi", root, split="train", size=16, cache=False)
    s = tr[0]
    assert s["image"].shape == (1, 16, 16) and abs(float(s["image"].mean())) < 1e-4       # one channel, z-scored
    assert s["levels"].shape == (2, 16, 16)                                              # NCI-ISBI thresholds (0.2, 0.4)
    te = load_dataset("nci-isbi", root, split="test", size=16, cache=False)
    assert set(np.unique(te[0]["mask"].numpy())) == {0, 1}
    assert te.original_mask(0).shape == (32, 32)


def test_acdc_volumes_and_classes(tmp_path):
    root = write_acdc(tmp_path)
    te = load_dataset("acdc", root, split="test", size=16, cache=False)
    assert len(te) == 3 and [te[i]["slice"] for i in range(3)] == [0, 1, 2] and te[0]["volume"] == "patient101_frame01"
    assert set(np.unique(te[0]["mask"].numpy())) == {0, 1, 2, 3}
    va = load_dataset("acdc", root, split="val", size=16, cache=False)
    assert len(va) == 3


def test_isic_default_split_and_simulated_gaze(tmp_path):
    root = write_isic(tmp_path)
    tr = load_dataset("isic2018", root, split="train", size=16, cache=False)
    te = load_dataset("isic2018", root, split="test", size=16, cache=False)
    assert len(tr) == 4 and len(te) == 1 and not set(tr.ids) & set(te.ids)
    f1, f2 = tr.source.fixations(tr.ids[0]), DATASETS["isic2018"](root).fixations(tr.ids[0])
    np.testing.assert_array_equal(f1.x, f2.x)                                            # gaze is seeded by the image id


def test_validation_split_is_reproducible_and_disjoint(mini):
    tr = load_dataset("kvasir-seg", mini, split="train", size=16, val_fraction=0.25, cache=False)
    va = load_dataset("kvasir-seg", mini, split="val", size=16, val_fraction=0.25, cache=False)
    assert not set(tr.ids) & set(va.ids) and len(tr) + len(va) == 4
    assert carve_validation(list("abcdefghij"), 0.2, 0) == carve_validation(list("abcdefghij"), 0.2, 0)


def test_cache_is_reused_and_atomic(mini, tmp_path, monkeypatch):
    monkeypatch.setenv("GAZEKIT_CACHE", str(tmp_path / "c"))
    a = load_dataset("kvasir-seg", mini, split="test", supervision="full", size=16)
    files = sorted(p.name for p in (tmp_path / "c" / "datasets").rglob("*") if p.is_file())
    assert files == ["done.json", "fixations.json", "gaze.npy", "image.npy", "mask.npy"]                    # no temporary file left
    monkeypatch.setattr(DATASETS["kvasir-seg"], "image", lambda self, iid: (_ for _ in ()).throw(AssertionError("decoded again")))
    b = load_dataset("kvasir-seg", mini, split="test", supervision="full", size=16)
    torch.testing.assert_close(a[0]["image"], b[0]["image"])


# ---------------------------------------------------------------- real data
def test_real_kvasir_split_and_samples(real_kvasir):
    te = load_dataset("kvasir-seg", real_kvasir, split="test", supervision="gaze", size=224, progress=False)
    assert len(te) == 100
    s = te[0]
    assert s["image"].shape == (3, 224, 224) and s["mask"].shape == (224, 224) and s["levels"].shape == (2, 224, 224)
    assert te.original_mask(0).shape == s["orig_size"]
    rep = check_dataset("kvasir-seg", real_kvasir)
    assert rep["ok"] and rep["splits"] == {"train": {"listed": 900, "ok": 900}, "test": {"listed": 100, "ok": 100}}
    assert rep["fixations"] == 26832
