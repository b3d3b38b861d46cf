"""Shrink the figures of run records already in git, the way new runs write them (`save_figure(colors=256)`,
JPEG figures in the executed notebook): PNGs become 256-colour palette PNGs, PNG outputs embedded in `train.ipynb`
become JPEGs (quality 80). Numbers, tables and logs are not touched. Idempotent; each file is replaced atomically.
Only files git tracks are touched (finished runs; a run in progress is left alone).

    python tools/shrink_records.py reports/quick
"""
import base64, io, json, os, subprocess, sys, tempfile
from pathlib import Path
from PIL import Image

def _replace(path:Path, data:bytes):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f: f.write(data)
    os.chmod(tmp, 0o644); os.replace(tmp, path)

def shrink_png(path:Path) -> int:
    im = Image.open(path)
    if im.mode == "P": return 0
    buf = io.BytesIO(); im.quantize(256, method=Image.Quantize.FASTOCTREE).save(buf, format="PNG", optimize=True)
    if buf.tell() >= path.stat().st_size: return 0
    saved = path.stat().st_size - buf.tell(); _replace(path, buf.getvalue()); return saved

def shrink_notebook(path:Path) -> int:
    nb = json.loads(path.read_text()); n = 0
    for c in nb.get("cells", []):
        for o in c.get("outputs", []):
            d = o.get("data", {})
            if "image/png" not in d: continue
            png = "".join(d["image/png"]) if isinstance(d["image/png"], list) else d["image/png"]
            buf = io.BytesIO(); Image.open(io.BytesIO(base64.b64decode(png))).convert("RGB").save(buf, "JPEG", quality=80)
            del d["image/png"]; d["image/jpeg"] = base64.b64encode(buf.getvalue()).decode(); n += 1
    if not n: return 0
    before = path.stat().st_size; _replace(path, (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode())
    return before - path.stat().st_size

if __name__ == "__main__":
    total = 0
    files = subprocess.run(["git", "ls-files", *(sys.argv[1:] or ["reports"])], capture_output=True, text=True, check=True).stdout.split()
    for f in map(Path, files):
        if "runs" not in f.parts: continue
        if f.suffix == ".png": total += shrink_png(f)
        elif f.name == "train.ipynb": total += shrink_notebook(f)
    print(f"saved {total / 2**20:.1f} MiB")
