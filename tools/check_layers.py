"""The house's one rule, checked: data flows one way, and no module imports a higher one.

    python tools/check_layers.py        # prints every upward import and every import cycle; exit 1 if any

Each module of `gazekit` has a rank (LAYERS below); a module may import modules of its own rank or lower,
at the top of the file or inside a function alike. A new module must be given a rank here.
"""
from __future__ import annotations
import ast, sys
from pathlib import Path

# gaze -> simulate -> data -> models/losses -> methods -> train -> runs -> report -> grid -> cli
LAYERS = {
    "core": 0,
    "gaze": 1,
    "simulate": 2, "text": 2,
    "data": 3, "metrics": 3, "viz": 3,
    "models": 4, "losses": 4,
    "methods.core": 5,
    "methods.*": 6,
    "train": 7,
    "runs": 8,
    "report": 9,
    "grid": 10,
    "cli": 11,
}
SKIP = {"__init__", "_modidx", "methods.__init__"}
PKG = Path(__file__).resolve().parents[1] / "gazekit"


def rank(mod: str) -> int | None:
    if mod in LAYERS: return LAYERS[mod]
    head = mod.rsplit(".", 1)[0]
    return LAYERS.get(f"{head}.*") if "." in mod else None


def modules(pkg: Path = PKG) -> dict[str, Path]:
    out = {}
    for p in sorted(pkg.rglob("*.py")):
        name = ".".join(p.relative_to(pkg).with_suffix("").parts)
        if name not in SKIP: out[name] = p
    return out


def imports(name: str, path: Path, known) -> set[str]:
    "The gazekit modules `name` imports anywhere in its file (absolute `gazekit.x` and relative `.x` alike)."
    pkg_parts = ["gazekit"] + name.split(".")[:-1]
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


if __name__ == "__main__":
    problems = check()
    print("\n".join(problems) if problems else f"layers ok: {len(modules())} modules, no upward import, no cycle")
    sys.exit(1 if problems else 0)
