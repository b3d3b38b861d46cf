"""Fail if the package is not what the notebooks export, a notebook is not clean, README.md is stale, or the lock
(requirements.lock) misses a dependency of pyproject.toml or pins a version outside its range.

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


def lock_problems() -> list[str]:
    "What requirements.lock lacks for pyproject.toml's dependencies and its dev extra (`make install` installs from the lock)."
    import re
    try: import tomllib
    except ModuleNotFoundError: import tomli as tomllib   # Python 3.10: pytest's own dependency, in the dev extra
    from packaging.requirements import Requirement
    lock = ROOT / "requirements.lock"
    if not lock.is_file(): return ["requirements.lock is missing: run `make lock`"]
    norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
    pins = {}
    for line in lock.read_text().splitlines():
        if m := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line.strip()): pins[norm(m.group(1))] = m.group(2)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bad = []
    for text in project["dependencies"] + project["optional-dependencies"]["dev"]:
        r = Requirement(text)
        if r.marker is not None and not r.marker.evaluate(): continue
        v = pins.get(norm(r.name))
        if v is None: bad.append(f"{r.name} is not in requirements.lock")
        elif not r.specifier.contains(v, prereleases=True): bad.append(f"requirements.lock pins {r.name}=={v}, outside {r.specifier}")
    return bad


def main():
    if bad := lock_problems():
        print("The lock is stale:"); [print("  ", b) for b in bad]
        print("Run `make lock` and commit requirements.lock."); return 1
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
