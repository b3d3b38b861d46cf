"gazekit.text through the data layer: descriptions from gaze (never from a mask), a user's texts with a local transformers encoder, a user's embeddings, clear errors."
import json

import numpy as np
import pytest
import torch

from gazekit.core import GazeKitError
from gazekit.data import DATASETS, collate, load_dataset, write_mini_kvasir
from gazekit.text import describe_gaze, derangement, encode_texts, render_description, text_embeddings, write_tiny_encoder


def test_descriptions_come_from_gaze_and_no_mask_is_read(tmp_path, monkeypatch):
    root = write_mini_kvasir(tmp_path / "data", n=8)
    monkeypatch.setattr(DATASETS["kvasir-seg"], "mask", lambda self, iid: (_ for _ in ()).throw(AssertionError(f"mask {iid} read")))
    ds = load_dataset("kvasir-seg", root, split="train", supervision="gaze", size=32, cache=False, text="gaze", text_encoder="hash:16")
    b = collate([ds[i] for i in range(len(ds))])
    assert b["text"].shape[0] == len(ds) and b["text"].shape[-1] == 16 and b["text_mask"].any(1).all()
    # the text is a function of the heatmap: the same description as describing the sample's heatmap directly
    want = encode_texts([render_description(describe_gaze(ds[0]["heatmap"][0].numpy(), ds.thresholds))], "hash:16")[0]
    assert torch.allclose(ds[0]["text"], torch.from_numpy(want))


def test_user_texts_with_a_local_transformers_encoder_are_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("GAZEKIT_CACHE", str(tmp_path / "cache"))
    root = write_mini_kvasir(tmp_path / "data", n=6)
    enc = write_tiny_encoder(tmp_path / "tiny-bert", dim=24)
    ids = DATASETS["kvasir-seg"](root).ids("test")
    texts = {i: f"Location: upper left. Area: {k}% of the image." for k, i in enumerate(ids)}
    (tmp_path / "d.json").write_text(json.dumps(texts))
    ds = load_dataset("kvasir-seg", root, split="test", size=32, cache=False, text=str(tmp_path / "d.json"), text_encoder=str(enc))
    assert ds[0]["text"].shape[1] == 24
    files = list((tmp_path / "cache" / "text").rglob("*.npy"))
    assert len(files) == len(ids)
    again = load_dataset("kvasir-seg", root, split="test", size=32, cache=False, text=str(tmp_path / "d.json"), text_encoder=str(enc))
    assert torch.equal(again[0]["text"], ds[0]["text"])
    (tmp_path / "short.json").write_text(json.dumps({ids[0]: "only one"}))
    with pytest.raises(GazeKitError, match="no description for"):
        load_dataset("kvasir-seg", root, split="test", size=32, cache=False, text=str(tmp_path / "short.json"))


def test_user_embeddings_and_shuffling(tmp_path):
    root = write_mini_kvasir(tmp_path / "data", n=6)
    ids = DATASETS["kvasir-seg"](root).ids("train")
    (tmp_path / "emb").mkdir()
    for k, i in enumerate(ids): np.save(tmp_path / "emb" / f"{i}.npy", np.full((k + 1, 8), k, np.float32))
    ds = load_dataset("kvasir-seg", root, split="train", size=32, cache=False, text=str(tmp_path / "emb"))
    assert [ds[k]["text"].shape[0] for k in range(len(ds))] == list(range(1, len(ids) + 1))
    sh = load_dataset("kvasir-seg", root, split="train", size=32, cache=False, text=str(tmp_path / "emb"), text_shuffle=True)
    perm = derangement(len(ids))
    assert all(sh[k]["text"][0, 0].item() == perm[k] for k in range(len(ids)))      # same embeddings, every image another's
    np.save(tmp_path / "emb" / f"{ids[1]}.npy", np.zeros(8))
    with pytest.raises(GazeKitError, match=f"{ids[1]}.npy"):
        load_dataset("kvasir-seg", root, split="train", size=32, cache=False, text=str(tmp_path / "emb"))


def test_describer_reads_only_the_heatmap():
    h = np.zeros((40, 40)); h[25:35, 25:35] = 1
    d = describe_gaze(h)
    assert d["location"] == "lower right" and d["boundary"] == "well-defined" and d["area"] == pytest.approx(6.2, abs=0.1)
    with pytest.raises(GazeKitError, match="not found"): text_embeddings("missing.csv", ["a"])
