"tools/shrink_records.py: record figures re-encoded smaller, pixels' grid and notebook structure kept, idempotent."
import base64, importlib.util, io, json
from pathlib import Path

import numpy as np
from PIL import Image

_spec = importlib.util.spec_from_file_location("shrink_records", Path(__file__).parents[1] / "tools" / "shrink_records.py")
shrink = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(shrink)


def _photo_png(size=(160, 120)) -> bytes:
    rng = np.random.default_rng(0)
    a = (np.linspace(0, 255, size[0])[None, :, None] + rng.normal(0, 20, (size[1], size[0], 4))).clip(0, 255).astype(np.uint8)
    a[..., 3] = 255
    buf = io.BytesIO(); Image.fromarray(a, "RGBA").save(buf, "PNG"); return buf.getvalue()


def test_png_becomes_a_smaller_palette_png_once(tmp_path):
    p = tmp_path / "predictions.png"; p.write_bytes(_photo_png())
    before = p.stat().st_size
    saved = shrink.shrink_png(p)
    im = Image.open(p)
    assert saved > 0 and p.stat().st_size == before - saved
    assert im.mode == "P" and im.size == (160, 120)
    assert shrink.shrink_png(p) == 0                       # idempotent
    assert [q.name for q in tmp_path.iterdir()] == ["predictions.png"]   # no temporary file left


def test_notebook_png_outputs_become_jpeg(tmp_path):
    png = base64.b64encode(_photo_png()).decode()
    nb = {"cells": [{"cell_type": "code", "source": "x", "outputs": [{"output_type": "display_data", "data": {"image/png": png, "text/plain": "fig"}}]},
                    {"cell_type": "markdown", "source": "m"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    p = tmp_path / "train.ipynb"; p.write_text(json.dumps(nb))
    assert shrink.shrink_notebook(p) != 0
    out = json.loads(p.read_text())
    d = out["cells"][0]["outputs"][0]["data"]
    assert set(d) == {"image/jpeg", "text/plain"} and d["text/plain"] == "fig"
    assert Image.open(io.BytesIO(base64.b64decode(d["image/jpeg"]))).format == "JPEG"
    assert out["cells"][1] == nb["cells"][1]
    assert shrink.shrink_notebook(p) == 0
