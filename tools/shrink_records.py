"""Shrink the figures of run records already in git, the way new runs write them (`save_figure(colors=256)`,
JPEG figures in the executed notebook): PNGs become 256-colour palette PNGs, PNG outputs embedded in `train.ipynb`
become JPEGs (quality 80). Numbers, tables and logs are not touched. Idempotent; each file is replaced atomically.
Only files git tracks are touched (finished runs; a run in progress is left alone).

    python tools/shrink_records.py reports/quick
"""
import base64, io, json, subprocess, sys
from pathlib import Path
from PIL import Image
from gazekit.core import atomic_write
from gazekit.viz import quantize_png

def shrink_png(path:Path) -> int:
    "Re-encode a PNG with a 256-colour palette where that is smaller; the bytes saved."
    if Image.open(path).mode == "P": return 0
    small, before = quantize_png(path.read_bytes()), path.stat().st_size
    if len(small) >= before: return 0
    with atomic_write(path, "wb") as f: f.write(small)
    return before - len(small)

def shrink_notebook(path:Path) -> int:
    "Turn the PNG outputs of an executed notebook into JPEGs (quality 80); the bytes saved."
    nb = json.loads(path.read_text()); n = 0
    for c in nb.get("cells", []):
        for o in c.get("outputs", []):
            d = o.get("data", {})
            if "image/png" not in d: continue
            png = "".join(d["image/png"]) if isinstance(d["image/png"], list) else d["image/png"]
            buf = io.BytesIO(); Image.open(io.BytesIO(base64.b64decode(png))).convert("RGB").save(buf, "JPEG", quality=80)
            del d["image/png"]; d["image/jpeg"] = base64.b64encode(buf.getvalue()).decode(); n += 1
    if not n: return 0
    before = path.stat().st_size
    with atomic_write(path) as f: f.write(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return before - path.stat().st_size

if __name__ == "__main__":
    total = 0
    files = subprocess.run(["git", "ls-files", *(sys.argv[1:] or ["reports"])], capture_output=True, text=True, check=True).stdout.split()
    for f in map(Path, files):
        if "runs" not in f.parts: continue
        if f.suffix == ".png": total += shrink_png(f)
        elif f.name == "train.ipynb": total += shrink_notebook(f)
    print(f"saved {total / 2**20:.1f} MiB")
