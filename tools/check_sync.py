"""Fail if the package is not what the notebooks export, a notebook is not clean, or README.md is stale.

Runs nbdev-export, nbdev-clean and the README generator, and compares every file they may touch
before and after. Files that changed are listed; they are left as the tools made them, so that
`git diff` shows what to commit."""
import hashlib, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def snapshot():
    files = [*ROOT.glob("nbs/**/*.ipynb"), *ROOT.glob("gazekit/**/*.py"), ROOT / "README.md"]
    return {str(p.relative_to(ROOT)): hashlib.sha1(p.read_bytes()).hexdigest() for p in files
            if p.is_file() and ".ipynb_checkpoints" not in p.parts}


def main():
    before = snapshot()
    for cmd in ([str(BIN / "nbdev-export")], [str(BIN / "nbdev-clean")], [sys.executable, str(ROOT / "tools" / "make_readme.py")]):
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if r.returncode: print(r.stdout, r.stderr); print(f"{' '.join(cmd)} failed"); return 1
    after = snapshot()
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    exported = [c for c in changed if c.startswith("gazekit/")]
    if changed:
        print("Out of sync: these files change under nbdev-export / nbdev-clean / make_readme:")
        for c in changed: print("  ", c)
        if exported: print("The package must be what the notebooks export: edit nbs/, not gazekit/.")
        print("Run `make export` and commit the result.")
        return 1
    print(f"in sync: {len(after)} files (notebooks clean, package = export, README = index.ipynb)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
