"""May the quick grid add runs of DATASET on this machine? `python tools/grid_env.py DATASET [REPORTS ...] [--no-replay]`
(and `--tree [QUICK]`, `--new-root reports/quick-NAME`: the trees of records, below)

The claims compare runs of one dataset with each other (gazekit.claims), and only runs of one version of
the code and one environment fingerprint. The fingerprint names the CPU model because CPU models round
differently: the same run's loss differs in the sixth digit after ten steps on an Intel Xeon and an AMD
EPYC, and training amplifies that into a different network. So a dataset's runs must all come from one
kind of machine. This prints which environments the dataset's finished records at the current code version
come from (in REPORTS, default reports/quick and reports/study/*) and exits 0 where they are none or this
machine's, 1 where another environment has begun them or this machine does not fit the tree's description (below;
the grid then leaves that dataset to such a machine).

The fingerprint names the CPU model as the operating system reports it, and two machines can report the same
name and still compute differently: two machines both said "AMD EPYC" (one of them without AVX-512, where
torch's kernels use AVX2), and the same Kvasir-SEG run differed in the fourth digit of its step-10 loss. So where
the dataset's records share this machine's fingerprint, the gate also replays one of them: it trains that run's
first REPLAY_STEPS steps here (half a minute) and asks for its logged losses bit for bit. A machine that does
not reproduce them is refused like another environment (`--no-replay` skips this check); exit 2 where the replay
cannot run here (no data root: `export GAZEKIT_DATA=...`, which quick_grid.sh does).

Trees of records. Machines that compute alike form a class, and the quick grid keeps a tree of records for each class
that began one. reports/quick is the first: it has no description of its own, and within it each dataset's runs come
from one class (the fingerprint and the replay above keep it so). A later class begins reports/quick-NAME with
`python tools/grid_env.py --new-root reports/quick-NAME`, which writes this machine's description (`machine()`) into it as
MACHINE_FILE; it is refused where a described tree already fits this machine. A machine then adds to the first described
tree that fits it, and to reports/quick only where none does (`python tools/grid_env.py --tree` prints which; `--tree QUICK`
checks the tree QUICK names instead, a path or a name under reports/, and refuses reports/quick to a machine that a
described tree fits). The gate refuses a machine that does not fit its tree's description before it replays anything.

What the first tree's records cannot say (which CPU made them: the fingerprint names only the model string) the gate
writes down as machines prove it: each machine that replays a dataset's records in reports/quick bit for bit is added,
with the code version and the record it replayed, to that dataset's list in DATASET_MACHINES there (commit it with the
records). The list informs the report (gazekit.report.machine_note); it refuses no one, the replay does.
"""
import json, sys, tempfile
from pathlib import Path

import pandas as pd

from gazekit.core import ConfigError, GazeKitError, read_json
from gazekit.report import DATASET_MACHINES, MACHINE_FILE, NOT_FACTS, collect_runs
from gazekit.runs import code_version, environment


def finished(dataset:str, folders:list[Path], code:str) -> pd.DataFrame:
    "The finished records of `dataset` at code version `code` in `folders`, read by `collect_runs` (cut off or an older version: the grid reruns it)."
    runs = pd.concat([collect_runs(f) for f in folders])   # a folder without runs gives an empty frame with every column
    return runs[(runs.dataset == dataset) & (runs.status == "ok") & (runs.code == code)]


def record_envs(dataset:str, folders:list[Path], code:str) -> dict:
    "fingerprint -> (device, number of records) over the finished records of `dataset` at code version `code` in `folders`."
    return {f: (g.device.iloc[0], len(g)) for f, g in finished(dataset, folders, code).groupby("fingerprint")}


REPLAY_STEPS = 10                 # one logging interval of the quick profile: where the two EPYC machines first disagreed
PREFERRED = ("full", "labeled")   # the cheapest runs to replay (one network, no gaze map to build)


def replay_record(dataset:str, folders:list[Path], code:str, fingerprint:str) -> Path|None:
    "The finished record of `dataset` at `code` in `fingerprint` that the gate replays: a `full` or `labeled` run where there is one, lowest seed first."
    ok = finished(dataset, folders, code)
    ok = ok[ok.fingerprint == fingerprint]
    ok = ok[[(Path(r)/"params.json").is_file() and (Path(r)/"log.jsonl").is_file() for r in ok.run]]
    if ok.empty: return None
    rank = [PREFERRED.index(m) if m in PREFERRED else len(PREFERRED) for m in ok.method]
    return Path(ok.assign(rank=rank).sort_values(["rank", "seed", "run"]).run.iloc[0])


def logged_losses(log:Path, steps:int) -> list[dict]:
    "The log lines of `log` up to step `steps`, without their timings: what a replay must reproduce bit for bit."
    lines = [json.loads(l) for l in log.read_text().splitlines() if l.strip()]
    return [{k: v for k, v in r.items() if k != "time"} for r in lines if r.get("step", steps + 1) <= steps]


def train_start(params:dict, out:Path, steps:int) -> Path:
    "Train the run that `params` (a record's params.json) describes for its first `steps` steps, with its records in `out`; its log.jsonl."
    from gazekit.runs import build_data, build_trainer, resolve_run
    spec = resolve_run(**params)
    build_trainer(spec, build_data(spec), Path(out)).fit(stop_at=steps)
    return Path(out)/"log.jsonl"


def replay(record:Path, steps:int=REPLAY_STEPS) -> tuple[list[dict], list[dict]]:
    "The run of `record` trained for its first `steps` steps on this machine: (the record's log lines, the replay's) up to `steps`."
    with tempfile.TemporaryDirectory(prefix="gazekit-replay-") as out:
        log = train_start(json.loads((record/"params.json").read_text()), Path(out), steps)
        return logged_losses(record/"log.jsonl", steps), logged_losses(log, steps)


def cpu_capability() -> str:
    "The instruction set torch's CPU kernels use here (AVX512, AVX2, ...): one thing the fingerprint does not name."
    import torch
    return torch.backends.cpu.get_cpu_capability()


def machine() -> dict:
    "What decides how this machine rounds, as far as it can be read: CPU vendor, family and model (/proc/cpuinfo), AVX-512 or not, torch's CPU capability."
    info = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().split("\n\n")[0].splitlines():
            k, _, v = line.partition(":"); info[k.strip()] = v.strip()
    except OSError: pass
    flags = set(info.get("flags", "").split())
    return {"vendor": info.get("vendor_id"), "model_name": info.get("model name"), "family": info.get("cpu family"), "model": info.get("model"),
            "avx512f": "avx512f" in flags, "avx2": "avx2" in flags, "torch_cpu_capability": cpu_capability()}


REPORTS = Path("reports")
FIRST_TREE = REPORTS/"quick"      # the first tree of records: no description of its own (its DATASET_MACHINES lists who replayed it)


def described_trees(reports:Path=REPORTS) -> list[Path]:
    "The trees of records begun for a later class of machine: `reports/quick-*` holding a MACHINE_FILE, by name."
    return sorted(f.parent for f in Path(reports).glob(f"quick-*/{MACHINE_FILE}"))


def own_trees(reports:Path=REPORTS) -> list[Path]:
    "The described trees whose description fits this machine (one at most, as --new-root keeps it)."
    return [t for t in described_trees(reports) if fits(t) is None]


def tree_for(quick:str|None=None, reports:Path=REPORTS) -> Path:
    """The tree of records this machine adds to: the first described tree that fits it, else the first tree. `quick` names
    one instead (a path, or a name under `reports`): it must exist, and be the first tree or a described one."""
    if quick:
        t = Path(quick.rstrip("/")); t = t if len(t.parts) > 1 else Path(reports)/t
        if not t.is_dir(): raise ConfigError(f"no tree of records {t}", where="QUICK", fix=f"name one of {[str(x) for x in [Path(reports)/'quick', *described_trees(reports)]]}, or begin one with --new-root")
        if t.resolve() != (Path(reports)/"quick").resolve() and not (t/MACHINE_FILE).is_file():
            raise ConfigError(f"{t} describes no class of machine (no {MACHINE_FILE})", where=str(t), fix="begin a tree with `python tools/grid_env.py --new-root reports/quick-NAME`")
        if (mine := own_trees(reports)) and t.resolve() not in [d.resolve() for d in mine]:
            raise ConfigError(f"{mine[0]} is the tree of machines like this one, not {t}", where="QUICK", fix=f"leave QUICK unset, or name {mine[0]}")
        return t
    return next(iter(own_trees(reports)), Path(reports)/"quick")


def new_root(root:Path, reports:Path=REPORTS) -> int:
    "Begin a tree of records for this machine's class: `root` with this machine's description in it (refused where `root` exists, or a tree fits this machine already)."
    if root.exists(): print(f"{root} exists: a tree is begun once, by the first machine of its class"); return 2
    if mine := own_trees(reports):
        print(f"{mine[0]} is already the tree of machines like this one: add to it (tools/quick_grid.sh does)"); return 2
    root.mkdir(parents=True)
    (root/MACHINE_FILE).write_text(json.dumps(machine(), indent=1) + "\n")
    print(f"{root}: begun for machines like this one: {machine()}"); return 0


def _misfit(want:dict) -> str|None:
    "How this machine differs from the description `want` (every fact it names must match; an empty one fits nothing), or None where it fits."
    facts = {k: v for k, v in want.items() if k not in NOT_FACTS}
    if not facts: return "the description names no fact"
    here = machine()
    diff = {k: (v, here.get(k)) for k, v in facts.items() if here.get(k) != v}
    return None if not diff else "; ".join(f"{k}: {a!r} there, {b!r} here" for k, (a, b) in diff.items())


def fits(root:Path) -> str|None:
    "Why this machine may not add to the tree `root` by its description (None where it fits, or `root` has none)."
    f = root/MACHINE_FILE
    if not f.is_file(): return None
    d = read_json(f)
    return _misfit(d) if isinstance(d, dict) else f"{f} does not hold a description"


def note_replay(tree:Path, dataset:str, code:str, record:Path) -> None:
    "Add this machine (its facts, `code`, the `record` it replayed bit for bit) to `dataset`'s list in the first tree's DATASET_MACHINES, once."
    f = tree/DATASET_MACHINES
    try:
        known = read_json(f) or {}
        if not isinstance(known, dict): known = {}
        entry = {"code": code, **machine(), "replayed": Path(record).as_posix()}
        mine = [e for e in known.get(dataset, []) if isinstance(e, dict)]
        if any({k: v for k, v in e.items() if k != "replayed"} == {k: v for k, v in entry.items() if k != "replayed"} for e in mine): return
        known[dataset] = mine + [entry]
        tmp = f.with_name(f.name + ".tmp"); tmp.write_text(json.dumps(dict(sorted(known.items())), indent=1) + "\n"); tmp.replace(f)
        print(f"{dataset}: this machine is now listed among the machines that replay {dataset}'s records, in {f} (commit it)")
    except OSError as e: print(f"{dataset}: could not list this machine in {f} ({e}); the gate's answer stands")


def main(argv:list[str]) -> int:
    if not argv or argv[0].startswith("-") and argv[0] not in ("--new-root", "--tree"): print(__doc__); return 2
    if argv[0] == "--new-root":
        if len(argv) != 2: print("usage: python tools/grid_env.py --new-root reports/quick-NAME"); return 2
        return new_root(Path(argv[1]))
    if argv[0] == "--tree":
        try: print(tree_for(argv[1] if len(argv) > 1 else None)); return 0
        except GazeKitError as e: print(e, file=sys.stderr); return 2
    check = "--no-replay" not in argv
    dataset, *rest = [a for a in argv if a != "--no-replay"]
    folders = [Path(p) for p in rest] or [FIRST_TREE, *sorted((REPORTS/"study").glob("*/"))]
    if (why := fits(folders[0])) is not None:
        print(f"{dataset}: {folders[0]} is for another kind of machine ({folders[0]/MACHINE_FILE}: {why})"); return 1
    here, code = environment(), code_version()
    envs = record_envs(dataset, folders, code.removesuffix("-dirty"))
    others = {f: v for f, v in envs.items() if f != here["fingerprint"]}
    for f, (dev, n) in envs.items():
        print(f"{dataset}: {n} finished run(s) at code {code} in environment {f} ({dev}){' - this machine' if f == here['fingerprint'] else ''}")
    if others:
        print(f"{dataset}: this machine is environment {here['fingerprint']} ({here['device']}); its runs would not compare with those above. "
              f"Run the rest of {dataset} on such a machine, or remove those records (they stay in git) to start {dataset} over here.")
        return 1
    record = replay_record(dataset, folders, code.removesuffix("-dirty"), here["fingerprint"]) if check else None
    if record is None: return 0
    try: want, got = replay(record)
    except GazeKitError as e:                            # e.g. no data root: quick_grid.sh sets GAZEKIT_DATA, a caller by hand may not
        print(f"{dataset}: cannot replay {record} here: {e}"); return 2
    if want and want == got:
        print(f"{dataset}: this machine reproduces {record} bit for bit over its first {REPLAY_STEPS} steps")
        if folders[0].resolve() == FIRST_TREE.resolve() and not code.endswith("-dirty"):   # the first tree: say which CPU computes like its records
            note_replay(folders[0], dataset, code, record)
        return 0
    print(f"{dataset}: this machine does not reproduce {record} over its first {REPLAY_STEPS} steps: recorded {want[:1]}, here {got[:1]} "
          f"(torch's CPU capability here: {cpu_capability()}). It reports the same CPU ({here['device']}) but computes differently from the "
          f"machine that made the records: run the rest of {dataset} on such a machine, or remove its records (they stay in git) to start it over here.")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
