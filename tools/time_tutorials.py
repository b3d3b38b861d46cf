"""Time the workshop tutorials (nbs/tutorials/*.ipynb), each executed by papermill in its own kernel, one after another,
at full length (the default) or in their fast mode (--fast); writes reports/tutorials/timings.json (with the machine, commit
and versions it ran on) and timings.md rendered from it. Run it with nothing else busy on the machine: each row records how
much CPU time the rest of the machine used while it ran (from /proc/stat, less this process and its kernels), so a timing
taken beside other work shows as such.

    .venv/bin/python tools/time_tutorials.py [--fast] [--only 01,03] [--out reports/tutorials]
    .venv/bin/python tools/time_tutorials.py --render reports/tutorials/timings.json     # timings.md again, from the record
"""
import argparse, json, os, platform, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict:
    import torch, gazekit
    from gazekit.runs import git_commit
    return {"commit": git_commit(ROOT), "gazekit": gazekit.__version__, "python": platform.python_version(), "torch": torch.__version__,
            "machine": platform.machine(), "cpus": os.cpu_count(), "threads": os.environ.get("OMP_NUM_THREADS", "")}


def _cpu() -> tuple[float, float]:
    "(CPU seconds the whole machine was busy, CPU seconds this process and its finished children used) so far."
    import resource
    own = sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) for f in ("ru_utime", "ru_stime"))
    try: f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError): return float("nan"), own
    busy = sum(f) - f[3] - (f[4] if len(f) > 4 else 0)               # all but idle and iowait
    return busy / os.sysconf("SC_CLK_TCK"), own


def _title(nb: Path) -> str:
    cells = json.loads(nb.read_text())["cells"]
    first = "".join(cells[0]["source"]).splitlines()[0] if cells else nb.stem
    return first.lstrip("# ").strip()


def render(rec: dict) -> str:
    modes = sorted({m for r in rec["tutorials"] for m in r["seconds"]})
    envs = {json.dumps({k: e[k] for k in ("commit", "cpus", "machine", "python", "torch")}, sort_keys=True)
            for r in rec["tutorials"] for e in r.get("env", {}).values()}
    where = "; ".join(f"commit `{e['commit'][:12]}` on {e['cpus']} CPU cores ({e['machine']}), Python {e['python']}, torch {e['torch']}"
                      for e in map(json.loads, sorted(envs)))
    lines = ["# How long each tutorial takes", "",
             f"Measured by `tools/time_tutorials.py` (papermill, one kernel per notebook, one after another): {where}. "
             "The dataset is the one each notebook chose (real where the data root was set). *Other load* is the CPU time the rest "
             "of the machine used while the notebook ran, in cores (0 is a quiet machine; 1 means one core was busy with something "
             "else the whole time). Nothing here is typed in.", "",
             "| tutorial | dataset | " + " | ".join(f"{m} (min) | other load ({m})" for m in modes) + " |",
             "|---|---|" + "---|---|" * len(modes)]
    for r in rec["tutorials"]:
        other = r.get("other_load", {})
        cells = [(f"{r['seconds'][m] / 60:.1f}" if m in r["seconds"] else "–") + " | " +
                 (f"{other[m]:.2f}" if m in other else "not recorded") for m in modes]
        lines.append(f"| [{r['title']}](../../nbs/tutorials/{r['file']}) | {r.get('dataset', '')} | " + " | ".join(cells) + " |")
    total = {m: sum(r["seconds"].get(m, 0) for r in rec["tutorials"]) for m in modes}
    lines += ["| **all** | | " + " | ".join(f"**{total[m] / 60:.1f}** |" for m in modes) + " |", ""]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--fast", action="store_true"); p.add_argument("--only", default="")
    p.add_argument("--out", default=str(ROOT / "reports" / "tutorials")); p.add_argument("--render", default=None)
    a = p.parse_args(argv)
    from gazekit.core import save_json
    if a.render:
        rec = json.loads(Path(a.render).read_text())
        (Path(a.render).parent / "timings.md").write_text(render(rec)); return 0
    import papermill as pm
    from gazekit.grid import _logged_kernel
    out = Path(a.out); path = out / "timings.json"
    rec = json.loads(path.read_text()) if path.exists() else {"tutorials": []}
    rows = {r["file"]: r for r in rec["tutorials"]}
    mode = "fast" if a.fast else "full"
    only = [s for s in a.only.split(",") if s]
    env = _env()
    for nb in sorted((ROOT / "nbs" / "tutorials").glob("[0-9]*.ipynb")):
        if only and not any(nb.name.startswith(o) for o in only): continue
        with tempfile.TemporaryDirectory() as d:
            t0, (busy0, own0) = time.perf_counter(), _cpu()
            done = pm.execute_notebook(str(nb), str(Path(d) / nb.name), parameters={"fast": a.fast}, cwd=d, progress_bar=False,
                                       kernel_manager_class=_logged_kernel(Path(d) / "kernel.log"))   # its start-up warnings off the console
            dt = time.perf_counter() - t0
            busy1, own1 = _cpu()
        said = [o.get("text", "") for c in done["cells"] for o in c.get("outputs", []) if o.get("name") == "stdout"]
        ds = next((l.split("dataset: ", 1)[1].split(" ")[0] for t in said for l in "".join(t).splitlines() if l.startswith("dataset: ")), "")
        row = rows.setdefault(nb.name, {"file": nb.name, "title": _title(nb), "seconds": {}})
        row["title"], row["dataset"] = _title(nb), ds
        row["seconds"][mode] = round(dt, 1); row.setdefault("env", {})[mode] = env
        other = max(0.0, ((busy1 - busy0) - (own1 - own0)) / dt)          # cores busy with something else, on average
        row.setdefault("other_load", {})[mode] = round(other, 2)
        print(f"{nb.name}: {mode} {dt / 60:.1f} min ({ds}); the rest of the machine used {other:.2f} cores meanwhile", flush=True)
    rec = {"tutorials": sorted(rows.values(), key=lambda r: r["file"])}
    save_json(rec, path); (out / "timings.md").write_text(render(rec))
    print(f"wrote {path} and {out / 'timings.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
