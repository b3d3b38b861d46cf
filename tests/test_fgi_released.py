"FGI as released: the released embedding files and a local text encoder reach the teacher offline; the paper profile's student makes no extra clean pass; the options of gazekit's earlier recipe pass the run's checks."
import json
import socket

import numpy as np
import pytest
import torch

from gazekit.data import DATASETS, collate, load_dataset, write_mini_kvasir
from gazekit.methods.core import check_method, method_option_defaults
from gazekit.methods.fgi import FGI, foreground

RELEASED = dict(head="released", skip_path="released", pos="table", student_adapters="released", student_last=0.25,
                darm_procedure="released", cwc_norm="released", teacher_target="masked", afc_weight=0.05,
                cutmix="released", mixed_text="own", noise=0.2, noise_kind="uniform")
EARLIER = dict(head="single", skip_path="gazekit", pos="grid", student_adapters="linear", student_last=0.5,
               darm_procedure="exact", cwc_norm="all", teacher_target="clean", afc_weight=0.1,
               cutmix="gazekit", mixed_text="both", noise=0.1, noise_kind="gaussian")


def _step(m, batch):
    m.total_iterations = 20
    out = m.training_step(batch, step=5)
    out["loss"].backward()
    assert torch.isfinite(out["loss"])
    return out


def test_the_defaults_are_the_released_recipe_and_the_earlier_one_passes_the_checks():
    d = method_option_defaults("fgi")
    assert {k: d[k].default for k in RELEASED} == RELEASED
    check_method("fgi", EARLIER, width=0.0625)                          # names and types of every earlier choice are accepted
    with pytest.raises(Exception, match="afc_weight"): check_method("fgi", {"afc_weight": "high"}, width=0.0625)


def test_released_embedding_files_reach_the_teacher(tmp_path):
    "A folder of (1, L, D) files, as the released code reads from <root>/embeddings, is FGI's text."
    root = write_mini_kvasir(tmp_path / "data", n=6)
    ids = DATASETS["kvasir-seg"](root).ids("train")
    emb = tmp_path / "data" / "embeddings"
    emb.mkdir()
    rng = np.random.default_rng(0)
    arrays = {i: rng.standard_normal((1, 7, 16)).astype(np.float32) for i in ids}
    for i, a in arrays.items(): np.save(emb / f"{i}.npy", a)
    ds = load_dataset("kvasir-seg", root, split="train", supervision="gaze", size=32, cache=False,
                      **FGI.data_needs("kvasir-seg", text_source=str(emb), text_dim=16).load)
    assert torch.equal(ds[0]["text"], torch.from_numpy(arrays[ds.ids[0]][0]))
    batch = collate([ds[i] for i in range(4)])
    torch.manual_seed(0)
    m = FGI(width=0.0625, text_dim=16, norm="batch", rampup=10)
    _step(m, batch)
    assert m.fusion[0].text_proj.weight.grad.abs().sum() > 0                       # the embeddings are used


def test_a_local_encoder_folder_works_with_the_network_cut_off(tmp_path, monkeypatch):
    pytest.importorskip("transformers", reason="the optional extra gazekit[text] (transformers) is not installed")
    from gazekit.text import TransformersEncoder, write_tiny_encoder
    monkeypatch.setenv("GAZEKIT_CACHE", str(tmp_path / "cache"))
    enc = write_tiny_encoder(tmp_path / "tiny-bert", dim=24)
    def no_network(*a, **k): raise AssertionError("the text encoder reached for the network")
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    root = write_mini_kvasir(tmp_path / "data", n=6)
    ids = DATASETS["kvasir-seg"](root).ids("train")
    (tmp_path / "d.json").write_text(json.dumps({i: f"Location: upper left. Area: {k}% of the image." for k, i in enumerate(ids)}))
    ds = load_dataset("kvasir-seg", root, split="train", supervision="gaze", size=32, cache=False,
                      **FGI.data_needs("kvasir-seg", text_source=str(tmp_path / "d.json"), text_encoder=str(enc), text_dim=24).load)
    assert ds[0]["text"].shape[-1] == 24 and not torch.equal(ds[0]["text"][:3], ds[1]["text"][:3])
    torch.manual_seed(0)
    _step(FGI(width=0.0625, text_dim=24, norm="batch", rampup=10), collate([ds[i] for i in range(4)]))
    key = TransformersEncoder(str(enc)).key
    (enc / "config.json").write_text((enc / "config.json").read_text() + " ")        # the folder's model changes
    assert TransformersEncoder(str(enc)).key != key                                   # its cached embeddings are not reused


def test_the_paper_profile_student_makes_no_extra_clean_pass():
    "With GroupNorm (the paper profile) the student runs twice a step, on the DARM-masked and on the mixed view; its masked output is the teacher's target."
    ds = load_dataset("synthetic", split="train", supervision="gaze", size=32, source_kwargs=dict(n_train=4, n_test=2),
                      **FGI.data_needs("synthetic", text_dim=16).load)
    batch = collate([ds[i] for i in range(4)])
    for opts, passes in ((dict(norm="group"), 2), (dict(norm="group", teacher_target="clean"), 3), (dict(norm="batch"), 3)):
        torch.manual_seed(0)
        m = FGI(width=0.0625, text_dim=16, rampup=10, **opts)
        seen = []
        run = m.student_forward
        m.student_forward = lambda x: (seen.append(x), run(x))[1]
        _step(m, batch)
        assert len(seen) == passes, (opts, len(seen))


def test_the_earlier_recipe_still_trains_and_predicts_one_channel():
    ds = load_dataset("synthetic", split="train", supervision="gaze", size=32, source_kwargs=dict(n_train=4, n_test=2),
                      **FGI.data_needs("synthetic", text_dim=16).load)
    batch = collate([ds[i] for i in range(4)])
    torch.manual_seed(0)
    old, new = FGI(width=0.0625, text_dim=16, norm="batch", rampup=10, **EARLIER), FGI(width=0.0625, text_dim=16, norm="batch", rampup=10)
    _step(old, batch); _step(new, batch)
    assert old.student_forward(batch["image"])["logits"].shape[1] == 1
    assert new.student_forward(batch["image"])["logits"].shape[1] == 2
    assert {"teacher_head.3.weight", "student_head.3.weight"} <= set(new.state_dict())
    with torch.no_grad():
        new.eval()
        assert torch.equal(new.predict(batch), foreground(new.student_forward(batch["image"])["logits"]))
