"""The house's rules, checked: data flows one way (no module imports a higher one, no cycle), and no
module but a dataset's own source names that dataset.

    python tools/check_layers.py        # prints every upward import, cycle and named dataset; exit 1 if any

Each module of `gazekit` has a rank (LAYERS below); a module may import modules of its own rank or lower,
at the top of the file or inside a function alike. A new module must be given a rank here. A package's
`__init__.py` is the module named after the package (`data`).
"""
from __future__ import annotations
import ast, sys
from pathlib import Path

# gaze -> gaze_formats -> saliency -> simulate -> data -> models/losses -> methods -> train -> runs -> predict -> report -> grid -> cli
LAYERS = {
    "core": 0,
    "gaze": 1,
    "gaze_formats": 1.2,                       # other eye trackers' formats, read into the gaze registry
    "saliency": 1.5,                           # saliency metrics of a gaze heatmap: core, gaze, NumPy and SciPy only
    "simulate": 2, "text": 2,
    "data.core": 3, "metrics": 3, "viz": 3,
    "data.*": 3.1,                             # one module per dataset source
    "data.dataset": 3.2, "data.check": 3.2,    # a source's samples, a dataset's check: sources stay below them
    "data": 3.5,                               # the package's front: it imports every source
    "teach": 3.6,                              # what the workshop notebooks share: fast mode, their dataset, exercise checks
    "models": 4, "losses": 4,
    "methods": 5, "methods.core": 5,
    "methods.*": 6,
    "train": 7,
    "runs": 8,
    "predict": 8.5,                            # a finished run on new images, and its export
    "claims": 8.8,                             # the papers' claimed orderings tested on run records: paired bootstrap, verdicts
    "report": 9,
    "grid": 10,
    "explore": 10.2,                           # gazekit explore: the explorer of a dataset and of finished runs (checked against their
                                               # identity records, the grid's), served by Voila
    "distributed": 10.5,                       # torchrun processes: each runs the grid's notebook executor or a trainer
    "cli": 11,
}
SKIP = {"", "_modidx"}                 # gazekit/__init__.py holds the version only
PKG = Path(__file__).resolve().parents[1] / "gazekit"


def rank(mod: str) -> int | None:
    if mod in LAYERS: return LAYERS[mod]
    head = mod.rsplit(".", 1)[0]
    return LAYERS.get(f"{head}.*") if "." in mod else None


def modules(pkg: Path = PKG) -> dict[str, Path]:
    "Module name -> file; a package's `__init__.py` is named after the package."
    out = {}
    for p in sorted(pkg.rglob("*.py")):
        parts = p.relative_to(pkg).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name not in SKIP: out[name] = p
    return out


def imports(name: str, path: Path, known) -> set[str]:
    "The gazekit modules `name` imports anywhere in its file (absolute `gazekit.x` and relative `.x` alike)."
    own = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    pkg_parts = ["gazekit"] + own
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets = []
        if isinstance(node, ast.Import): targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level: base = ".".join(pkg_parts[:len(pkg_parts) - node.level + 1] + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for t in targets:
            if t.startswith("gazekit."):
                m = t[len("gazekit."):]
                while m and m not in known: m = m.rpartition(".")[0]
                if m and m != name: found.add(m)
    return found


def check(pkg: Path = PKG) -> list[str]:
    "Every problem: a module without a rank, an upward import, an import cycle."
    mods = modules(pkg)
    graph = {n: imports(n, p, mods) for n, p in mods.items()}
    bad = [f"{n}: no rank in tools/check_layers.py LAYERS" for n in mods if rank(n) is None]
    for n, deps in graph.items():
        for d in sorted(deps):
            if None not in (rank(n), rank(d)) and rank(d) > rank(n):
                bad.append(f"{n} (rank {rank(n)}) imports {d} (rank {rank(d)}): upward")
    state = {}
    def visit(n, stack):
        state[n] = 1
        for d in sorted(graph.get(n, ())):
            if state.get(d) == 1: bad.append("cycle: " + " -> ".join(stack[stack.index(d):] + [d]) if d in stack else f"cycle at {d}")
            elif d not in state: visit(d, stack + [d])
        state[n] = 2
    for n in graph:
        if n not in state: visit(n, [n])
    return bad


def _registered(tree) -> list[str]:
    "The names a module registers with `@register_dataset(\"name\")`."
    return [d.args[0].value for n in ast.walk(tree) if isinstance(n, ast.ClassDef) for d in n.decorator_list
            if isinstance(d, ast.Call) and getattr(d.func, "id", "") == "register_dataset"
            and d.args and isinstance(d.args[0], ast.Constant)]


def named_datasets(pkg: Path = PKG) -> list[str]:
    "Every string constant outside a dataset's source that is exactly a registered dataset's name."
    trees = {n: ast.parse(p.read_text()) for n, p in modules(pkg).items()}
    owner = {d: n for n, t in trees.items() for d in _registered(t)}
    bad = []
    for n, t in trees.items():
        for node in ast.walk(t):
            if isinstance(node, ast.Constant) and node.value in owner and owner[node.value] != n:
                bad.append(f"{n}, line {node.lineno}: names the dataset {node.value!r} (declare it in {owner[node.value]})")
    return bad


if __name__ == "__main__":
    problems = check() + named_datasets()
    print("\n".join(problems) if problems else f"layers ok: {len(modules())} modules, no upward import, no cycle, no dataset named outside its source")
    sys.exit(1 if problems else 0)
