"""Malformed inputs, one case each: every one ends in a `GazeKitError` that names the file, line, sample or option and
says the fix (or, for run records, in a report row that says what is wrong); the CLI answers bad input in one line.

Areas: fixation files, images, masks, split lists, run records, checkpoints, run options and the command line.
`test_counts` prints how many cases each area has."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gazekit.core import GazeKitError
from gazekit.data import load_dataset, read_mask, read_image, read_list, write_mini_kvasir
from gazekit.gaze import read_gazemedseg_csv, write_gazemedseg_csv, Fixations

CASES = {}


def case(area: str, expect: str):
    "Register a case: it builds the bad input under `tmp` and returns (a call, the text the error's location must hold)."
    def deco(fn):
        CASES[f"{area}:{fn.__name__}"] = (area, fn, expect)
        return fn
    return deco


# ---------------------------------------------------------------- fixation files (GazeMedSeg CSV)
def _csv(tmp, edit=None, name="fix.csv"):
    f = Fixations([.2, .5, .7], [.3, .5, .6], [200, 300, 250], [0, 250, 600], [1, 2, 3], 100, 200, "img")
    p = tmp / name
    write_gazemedseg_csv({"img": f}, p)
    if edit is not None:
        lines = p.read_text().splitlines()
        p.write_text("\n".join(edit(lines)) + "\n")
    return p


def _set(col, val, line=3):
    def edit(ls):
        hdr, row = ls[0].split(","), ls[line - 1].split(",")
        row[hdr.index(col)] = val
        ls[line - 1] = ",".join(row)
        return ls
    return edit


def _fix_case(name, col, val, expect="line 3"):
    def fn(tmp):
        p = _csv(tmp, _set(col, val))
        return lambda: read_gazemedseg_csv(p), expect
    fn.__name__ = name
    case("fixations", expect)(fn)


for _n, _c, _v in [("x_not_a_number", "CURRENT_FIX_X", "abc"), ("x_above_one", "CURRENT_FIX_X", "1.5"),
                   ("y_negative", "CURRENT_FIX_Y", "-0.1"), ("x_infinite", "CURRENT_FIX_X", "inf"),
                   ("duration_empty", "CURRENT_FIX_DURATION", ""), ("duration_zero", "CURRENT_FIX_DURATION", "0"),
                   ("duration_1e308", "CURRENT_FIX_DURATION", "1e308"), ("index_1e20", "CURRENT_FIX_INDEX", "1e20"),
                   ("index_fractional", "CURRENT_FIX_INDEX", "2.5"), ("start_negative", "CURRENT_FIX_START", "-5"),
                   ("width_1e5", "IMAGE_WIDTH", "100000"), ("height_zero", "IMAGE_HEIGHT", "0"),
                   ("height_fractional", "IMAGE_HEIGHT", "99.5"), ("image_empty", "IMAGE", "")]:
    _fix_case(_n, _c, _v)


@case("fixations", "fix.csv")
def missing_file(tmp):
    return lambda: read_gazemedseg_csv(tmp / "fix.csv"), "fix.csv"


@case("fixations", "fix.csv")
def empty_file(tmp):
    (tmp / "fix.csv").write_text("")
    return lambda: read_gazemedseg_csv(tmp / "fix.csv"), "fix.csv"


@case("fixations", "fix.csv")
def header_only(tmp):
    p = _csv(tmp, lambda ls: ls[:1])
    return lambda: read_gazemedseg_csv(p), "fix.csv"


@case("fixations", "fix.csv")
def missing_column(tmp):
    p = _csv(tmp, lambda ls: [",".join(l.split(",")[:2] + l.split(",")[3:]) for l in ls])
    return lambda: read_gazemedseg_csv(p), "fix.csv"


@case("fixations", "line 3")
def size_differs_between_rows(tmp):
    p = _csv(tmp, _set("IMAGE_WIDTH", "300.0"))
    return lambda: read_gazemedseg_csv(p), "line 3"


@case("fixations", "line 5")
def repeated_row(tmp):
    p = _csv(tmp, lambda ls: ls + [ls[2]])
    return lambda: read_gazemedseg_csv(p), "line 5"


@case("fixations", "fix.csv")
def utf16(tmp):
    p = _csv(tmp)
    p.write_text(p.read_text(), encoding="utf-16")
    return lambda: read_gazemedseg_csv(p), "fix.csv"


@case("fixations", "fix.csv")
def latin1_bytes(tmp):
    p = _csv(tmp)
    p.write_bytes(p.read_bytes().replace(b"img.jpg", "imgé.jpg".encode("latin-1")))
    return lambda: read_gazemedseg_csv(p), "fix.csv"


@case("fixations", "fix.csv")
def binary_garbage(tmp):
    (tmp / "fix.csv").write_bytes(bytes(range(256)) * 4)
    return lambda: read_gazemedseg_csv(tmp / "fix.csv"), "fix.csv"


@case("fixations", "line 2")
def image_not_in_dataset(tmp):
    p = _csv(tmp)
    return lambda: read_gazemedseg_csv(p, known_ids={"other"}), "line 2"


@case("fixations", "kvasir_fixation.csv")
def training_image_without_gaze(tmp):
    root = write_mini_kvasir(tmp / "mini", n=6); p = root / "gazemedseg" / "kvasir_fixation.csv"
    ls = p.read_text().splitlines()
    p.write_text("\n".join([ls[0]] + [l for l in ls[1:] if not l.startswith("img000")]) + "\n")
    return lambda: load_dataset("kvasir-seg", root, split="train", supervision="gaze", size=16, cache=False), "kvasir_fixation.csv"


# ---------------------------------------------------------------- images
def _mini(tmp):
    return write_mini_kvasir(tmp / "mini", n=6)


def _img(root, iid="img004"):
    return root / "kvasir-seg" / "images" / f"{iid}.jpg"


def _load(root, supervision="full"):
    return lambda: load_dataset("kvasir-seg", root, split="test", supervision=supervision, size=16, cache=False)


@case("images", "img004")
def image_missing(tmp):
    root = _mini(tmp); _img(root).unlink()
    return _load(root), "img004"


@case("images", "img004.jpg")
def image_truncated(tmp):
    root = _mini(tmp); p = _img(root); p.write_bytes(p.read_bytes()[:300])
    return _load(root), "img004.jpg"


@case("images", "img004.jpg")
def image_zero_bytes(tmp):
    root = _mini(tmp); _img(root).write_bytes(b"")
    return _load(root), "img004.jpg"


@case("images", "img004.jpg")
def image_is_text(tmp):
    root = _mini(tmp); _img(root).write_text("not an image")
    return _load(root), "img004.jpg"


@case("images", "img004")
def image_other_size_than_mask(tmp):
    root = _mini(tmp); Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(_img(root))
    return _load(root), "img004"


@case("images", "x.png")
def read_image_of_a_folder(tmp):
    (tmp / "x.png").mkdir()
    return lambda: read_image(tmp / "x.png"), "x.png"


# ---------------------------------------------------------------- masks
def _mask_file(tmp, arr, name, **save):
    p = tmp / name; Image.fromarray(arr).save(p, **save); return p


_M = np.zeros((24, 32), np.uint8); _M[6:14, 8:20] = 1


@case("masks", "m.jpg")
def jpeg_zero_one(tmp):
    p = _mask_file(tmp, _M, "m.jpg")
    return lambda: read_mask(p), "m.jpg"


@case("masks", "m.png")
def antialiased_png(tmp):
    p = tmp / "m.png"; Image.fromarray(_M * 255).resize((64, 48), Image.BILINEAR).save(p)
    return lambda: read_mask(p), "m.png"


@case("masks", "m.png")
def sixteen_bit_three_values(tmp):
    a = _M.astype(np.uint16) * 1000; a[0, 0] = 7
    p = _mask_file(tmp, a, "m.png")
    return lambda: read_mask(p), "m.png"


@case("masks", "m.png")
def palette_three_indices(tmp):
    a = _M.copy(); a[0:2] = 2
    im = Image.fromarray(a, mode="L").convert("P"); im.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * 759)
    p = tmp / "m.png"; im.save(p)
    return lambda: read_mask(p), "m.png"


@case("masks", "m.png")
def mask_truncated(tmp):
    p = _mask_file(tmp, _M * 255, "m.png"); p.write_bytes(p.read_bytes()[:60])
    return lambda: read_mask(p), "m.png"


@case("masks", "m.png")
def mask_missing(tmp):
    return lambda: read_mask(tmp / "m.png"), "m.png"


@case("masks", "otsu")
def unknown_mask_rule(tmp):
    p = _mask_file(tmp, _M * 255, "m.png")
    return lambda: read_mask(p, rule="otsu"), "read_mask"


@case("masks", "img004")
def mask_other_size_than_image(tmp):
    root = _mini(tmp)
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(root / "kvasir-seg" / "masks" / "img004.jpg")
    return _load(root), "img004"


@case("masks", "img004.jpg")
def kvasir_mask_stored_zero_one_jpeg(tmp):
    root = _mini(tmp)
    Image.fromarray(_M).resize((64, 48)).save(root / "kvasir-seg" / "masks" / "img004.jpg")
    return _load(root), "img004.jpg"


# ---------------------------------------------------------------- split lists
def _split(tmp, text, raw=False):
    root = _mini(tmp); p = root / "splits" / "kvasir-seg" / "test.txt"
    p.write_bytes(text) if raw else p.write_text(text)
    return root, p


@case("splits", "test.txt, line 2")
def id_escapes_with_dotdot(tmp):
    root, p = _split(tmp, "img004\n../../etc/passwd\n")
    return _load(root), "test.txt, line 2"


@case("splits", "test.txt, line 1")
def id_with_a_slash(tmp):
    root, p = _split(tmp, "sub/img004\n")
    return _load(root), "test.txt, line 1"


@case("splits", "test.txt, line 1")
def id_absolute_path(tmp):
    root, p = _split(tmp, "/etc/passwd\n")
    return lambda: read_list(p), "test.txt, line 1"


@case("splits", "test.txt")
def list_not_utf8(tmp):
    root, p = _split(tmp, b"img004\n\xff\xfe\x00\n", raw=True)
    return lambda: read_list(p), "test.txt"


@case("splits", "img099")
def id_without_files(tmp):
    root, p = _split(tmp, "img004\nimg099\n")
    return _load(root), "img099"


@case("splits", "no validation split")
def split_that_does_not_exist(tmp):
    root = _mini(tmp)
    return lambda: load_dataset("kvasir-seg", root, split="val", size=16, cache=False), "load_dataset"


@case("splits", "is empty")
def empty_split_list(tmp):
    root, p = _split(tmp, "\n\n")
    return _load(root), "kvasir-seg"


# ---------------------------------------------------------------- checkpoints
def _trainer(tmp, method="full", **opts):
    from gazekit.methods.core import get_method
    from gazekit.train import Trainer, TrainConfig
    tr = load_dataset("synthetic", split="train", supervision="full", size=16, cache=False,
                      source_kwargs=dict(n_train=4, n_test=2, size=24))
    m = get_method(method, width=0.0625, norm="batch", **opts)
    return Trainer(m, tr, None, TrainConfig(iterations=2, batch_size=2, progress=False, optimizer="adam", lr=1e-3), out=tmp / "run")


@case("checkpoints", "last.pt")
def checkpoint_truncated(tmp):
    t = _trainer(tmp); p = t.save("last.pt"); p.write_bytes(p.read_bytes()[:1000])
    return lambda: t.load(p), "last.pt"


@case("checkpoints", "last.pt")
def checkpoint_random_bytes(tmp):
    t = _trainer(tmp); p = tmp / "run" / "last.pt"; p.write_bytes(np.random.default_rng(0).bytes(4096))
    return lambda: t.load(p), "last.pt"


@case("checkpoints", "last.pt")
def checkpoint_of_another_method(tmp):
    p = _trainer(tmp, "full").save("last.pt")
    t = _trainer(tmp, "gaze")
    return lambda: t.load(p), "last.pt"


@case("checkpoints", "last.pt")
def checkpoint_without_identity(tmp):
    t = _trainer(tmp); p = t.save("last.pt")
    sd = torch.load(p, weights_only=True); sd.pop("identity"); torch.save(sd, p)
    return lambda: t.load(p), "last.pt"


@case("checkpoints", "last.pt")
def checkpoint_resume_truncated(tmp):
    from gazekit.runs import can_resume
    t = _trainer(tmp); p = t.save("last.pt"); p.write_bytes(p.read_bytes()[:500])
    return lambda: can_resume(tmp / "run", t.cfg), "last.pt"


@case("checkpoints", "cannot load the checkpoint")
def checkpoint_with_a_pickled_object(tmp):
    "A checkpoint holding an arbitrary object (which could run code when unpickled) is refused by weights-only loading."
    t = _trainer(tmp); p = t.save("last.pt")
    sd = torch.load(p, weights_only=True); sd["x"] = Path("/"); torch.save(sd, p)
    return lambda: t.load(p), "last.pt"


# ---------------------------------------------------------------- run options (resolve_run, before anything starts)
def _opt_case(name, where, says, **params):
    def fn(tmp):
        from gazekit.runs import resolve_run
        return lambda: resolve_run(**params), where
    fn.__name__ = name
    case("options", says)(fn)


for _n, _w, _s, _p in [
        ("unknown_method_option", "method gaze", "depth", dict(method="gaze", method_options={"depth": 3})),
        ("levels_not_a_number", "method gazemedseg", "levels='abc'", dict(method="gazemedseg", method_options={"levels": "abc"})),
        ("levels_zero", "gazemedseg", "levels=0", dict(method="gazemedseg", method_options={"levels": 0})),
        ("bool_as_text", "method hgdtgl", "mgp='false'", dict(dataset="acdc", method="hgdtgl", method_options={"mgp": "false"})),
        ("unknown_choice", "fgi", "darm='squares'", dict(method="fgi", method_options={"darm": "squares"})),
        ("run_setting_as_method_option", "method full", "width is set by the run", dict(method="full", method_options={"width": 0.5})),
        ("option_key_escapes", "method_options", "x/../../..", dict(method_options={"x/../../..": 1})),
        ("unknown_run_parameter", "resolve_run", "itrations", dict(itrations=3)),
        ("negative_iterations", "resolve_run", "iterations=-3", dict(iterations=-3)),
        ("lr_as_text", "resolve_run", "lr='fast'", dict(lr="fast")),
        ("tiny_size", "resolve_run", "size=4", dict(size=4)),
        ("unknown_profile", "resolve_run", "'huge'", dict(profile="huge")),
        ("unknown_protocol", "resolve_run", "'clen'", dict(protocol="clen")),
        ("unknown_dataset", "resolve_run", "'kvasir'", dict(dataset="kvasir")),
        ("unknown_gaze_map", "dataset synthetic", "gaze_map='crf2'", dict(data_options={"gaze_map": "crf2"})),
        ("threshold_above_one", "dataset synthetic", "thresholds=[0.5, 3]", dict(data_options={"thresholds": [0.5, 3]})),
        ("unknown_source_option", "dataset synthetic", "n_trian", dict(source_options={"n_trian": 3})),
        ("grad_clip_as_text", "TrainConfig", "grad_clip='x'", dict(train={"grad_clip": "x"})),
        ("unknown_optimizer", "TrainConfig", "optimizer='lion'", dict(train={"optimizer": "lion"})),
        ("val_fraction_one", "resolve_run", "val_fraction=1.0", dict(protocol="clean", val_fraction=1.0))]:
    _opt_case(_n, _w, _s, **_p)


# ---------------------------------------------------------------- the command line (in-process: a GazeKitError is rc 2, one line)
def _cli_case(name, args, expect):
    def fn(tmp):
        return [a.replace("TMP", str(tmp)) for a in args], expect
    fn.__name__ = name
    CASES[f"cli:{name}"] = ("cli", fn, expect)


for _n, _a, _e in [
        ("option_not_a_number", ["reproduce", "synthetic", "--methods", "gazemedseg", "-o", "levels=abc", "--profile", "smoke", "--reports", "TMP"], "levels='abc'"),
        ("unknown_option", ["train", "synthetic", "--method", "gaze", "-o", "depth=3", "--profile", "smoke", "--reports", "TMP"], "depth"),
        ("negative_iterations", ["train", "synthetic", "--method", "full", "--iterations", "-3", "--reports", "TMP"], "iterations=-3"),
        ("bad_data_option", ["train", "synthetic", "--method", "full", "--data-option", "gaze_map=crf2", "--reports", "TMP"], "gaze_map"),
        ("bad_source_option", ["train", "synthetic", "--method", "full", "--source-option", "n_trian=3", "--reports", "TMP"], "n_trian"),
        ("bad_train_option", ["train", "synthetic", "--method", "full", "--train-option", "optimizer=lion", "--reports", "TMP"], "optimizer"),
        ("option_key_escapes", ["train", "synthetic", "--method", "gaze", "-o", "x/../..=1", "--reports", "TMP"], "x/../.."),
        ("unknown_method", ["reproduce", "synthetic", "--methods", "full,gazemedsge", "--reports", "TMP"], "gazemedsge"),
        ("bad_protocol", ["reproduce", "synthetic", "--methods", "full", "--protocols", "clen", "--reports", "TMP"], "clen"),
        ("data_check_missing_root", ["data", "check", "TMP/absent", "--dataset", "kvasir-seg"], "absent"),
        ("report_without_records", ["report", "TMP"], "runs")]:
    _cli_case(_n, _a, _e)


def _argparse_case(name, args):
    def fn(tmp):
        return args, None
    fn.__name__ = name
    CASES[f"cli-usage:{name}"] = ("cli-usage", fn, None)


for _n, _a in [("seeds_not_numbers", ["reproduce", "synthetic", "--methods", "full", "--seeds", "a,b"]),
               ("lr_not_a_number", ["train", "synthetic", "--method", "full", "--lr", "fast"]),
               ("option_without_value", ["train", "synthetic", "--method", "gaze", "-o", "level"]),
               ("unknown_norm", ["train", "synthetic", "--method", "full", "--norm", "layer"]),
               ("unknown_dataset", ["train", "kvasir", "--method", "full"])]:
    _argparse_case(_n, _a)


# ---------------------------------------------------------------- the tests
@pytest.mark.parametrize("key", [k for k, (a, _, _) in CASES.items() if a not in ("cli", "cli-usage")])
def test_clear_error(key, tmp_path):
    area, fn, says = CASES[key]
    call, where = fn(tmp_path)
    with pytest.raises(GazeKitError) as e:
        call()
    err = e.value
    assert err.where is not None and where in str(err.where), f"{key}: the error names {err.where!r}, not {where!r}: {err}"
    assert says in str(err), f"{key}: the error does not say {says!r}: {err}"
    assert err.fix, f"{key}: no fix in {err}"


@pytest.mark.parametrize("key", [k for k, (a, _, _) in CASES.items() if a == "cli"])
def test_cli_one_line(key, tmp_path, capsys):
    from gazekit.cli import main
    args, expect = CASES[key][1](tmp_path)
    rc = main(args)
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("gazekit: error:") and err.strip().count("\n") == 0, err
    assert expect in err and "Fix:" in err, err
    assert not (tmp_path / "runs").exists()               # refused before any run folder was made


@pytest.mark.parametrize("key", [k for k, (a, _, _) in CASES.items() if a == "cli-usage"])
def test_cli_usage_error(key, capsys):
    "What argparse refuses (a type or a choice): exit status 2 and its usage line, no traceback."
    from gazekit.cli import main
    args, _ = CASES[key][1](None)
    with pytest.raises(SystemExit) as e:
        main(args)
    err = capsys.readouterr().err
    assert e.value.code == 2 and "usage:" in err and "Traceback" not in err


GOOD_RECORD = {"status": "ok", "dataset": "synthetic", "method": "full", "label": "full", "options": {}, "protocol": "paper",
               "profile": "smoke", "seed": 0, "test": {"dice": 0.5, "iou": 0.4, "hd95": 3.0, "asd": 1.0, "n_images": 4},
               "last": {"dice": 0.5, "iou": 0.4, "hd95": 3.0, "asd": 1.0}}


def bad_records() -> dict:
    "Records that cannot be used, by the seed folder they go into (None: a file where the folder should be)."
    g = GOOD_RECORD
    return {1: {**g, "test": {**g["test"], "dice": 7.5}}, 2: {**g, "test": {**g["test"], "dice": float("nan")}},
            3: {**g, "test": {**g["test"], "hd95": -1.0}}, 4: {k: v for k, v in g.items() if k != "test"},
            5: "{not json", 6: [1, 2], 7: {**g, "seed": "x"}, 8: {**g, "status": "done"}, 9: None,
            10: {**g, "modes": ["teacher"]}, 11: {**g, "test": {**g["test"], "n_nan": 3}}, 12: {**g, "status": "failed", "test": [1]}}


def test_records_are_listed_not_averaged(tmp_path):
    "Run records that cannot be used: each becomes a row with its status and reason; none is averaged."
    from gazekit.report import collect_runs
    from gazekit.runs import run_dir
    good, bad = GOOD_RECORD, bad_records()
    for s, m in [(0, good)] + list(bad.items()):
        d = run_dir(tmp_path, "synthetic", "full", "paper", s)
        if m is None: d.parent.mkdir(parents=True, exist_ok=True); d.write_text("a file where the run folder should be"); continue
        d.mkdir(parents=True)
        (d / "metrics.json").write_text(m if isinstance(m, str) else json.dumps({**m, "seed": s} if isinstance(m, dict) and s != 7 else m))
    runs = collect_runs(tmp_path).set_index("run")
    for s in bad:
        r = runs.loc[str(run_dir(tmp_path, "synthetic", "full", "paper", s))]
        assert r.status in ("invalid", "unreadable") and isinstance(r.error, str) and r.error, (s, r.status, r.error)
    assert (runs.status == "ok").sum() == 1


def test_counts():
    "At least 60 cases in all; the count per area is printed (pytest -s)."
    areas = {}
    for a, _, _ in CASES.values(): areas[a] = areas.get(a, 0) + 1
    areas["records"] = len(bad_records())
    print("malformed-input cases per area:", json.dumps(areas))
    assert sum(areas.values()) >= 60 and len(areas) >= 7
