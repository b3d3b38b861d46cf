"""Write README.md from nbs/index.ipynb (markdown cells as they are, code cells as fenced Python). A markdown line
`<!-- include: PATH -->` is replaced by the file PATH (relative to the repository) that a tool wrote from records, e.g.
the claims status `gazekit report` renders, so that no measured number is typed into the README; a line
`<!-- claims-by-tree: TREE TREE ... -->` is replaced by `gazekit.claims.claims_by_tree_markdown` of those trees of
records (each tree's verdicts side by side, from the claims.csv each holds).

nbdev's own `nbdev-readme` needs Quarto, which cannot be installed from the package registries;
this does the same job for a notebook without outputs. `--check` exits 1 if README.md is stale."""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _includes(md: str) -> str:
    def one(m):
        p = ROOT / m.group(1)
        return p.read_text().strip("\n") if p.is_file() else f"(`{m.group(1)}` is not there yet: it is written by the tool that renders it)"
    def by_tree(m):
        from gazekit.claims import claims_by_tree_markdown
        return claims_by_tree_markdown([ROOT / t for t in m.group(1).split()], base=ROOT).strip("\n")
    md = re.sub(r"<!-- include: (\S+) -->", one, md)
    return re.sub(r"<!-- claims-by-tree: ([^>]+?) -->", by_tree, md)


def render(nb_path=ROOT / "nbs" / "index.ipynb") -> str:
    nb = json.loads(Path(nb_path).read_text())
    parts = []
    for c in nb["cells"]:
        src = "".join(c["source"]).strip("\n")
        if c["cell_type"] == "markdown": parts.append(_includes(src))
        elif c["cell_type"] == "code":
            lines = src.splitlines()
            if any(l.strip() in ("#| hide", "#|hide") for l in lines): continue
            lines = [l for l in lines if not l.startswith("#|")]
            if lines: parts.append("```python\n" + "\n".join(lines) + "\n```")
    parts.append("<!-- generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file -->")
    return "\n\n".join(parts) + "\n"


def main(argv):
    text, readme = render(), ROOT / "README.md"
    if "--check" in argv:
        if not readme.exists() or readme.read_text() != text:
            print("README.md is not what nbs/index.ipynb says: run `make export` (tools/make_readme.py) and commit.")
            return 1
        return 0
    tmp = readme.with_name(".README.md.tmp"); tmp.write_text(text); tmp.replace(readme)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
