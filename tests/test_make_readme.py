"tools/make_readme.py: README.md from nbs/index.ipynb, with the files and tables rendered from records put in place of their markers."
import importlib.util, json
from pathlib import Path

ROOT = Path(__file__).parents[1]
_spec = importlib.util.spec_from_file_location("make_readme", ROOT / "tools" / "make_readme.py")
make_readme = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(make_readme)


def test_markers_are_replaced_by_what_the_records_render(tmp_path, monkeypatch):
    monkeypatch.setattr(make_readme, "ROOT", tmp_path)
    (tmp_path / "a").mkdir(); (tmp_path / "a" / "status.md").write_text("Of the 1 claim tests: 1 reproduced.\n")
    cols = "id,dataset,protocol,profile,better,worse,seeds,n_images,better_dice,worse_dice,diff,lo,hi,verdict,why,source"
    (tmp_path / "a" / "claims.csv").write_text(cols + "\nx-vs-y,toy,clean,quick,x,y,3,10,70,60,10,5,15,reproduced,,made up\n")
    nb = {"cells": [{"cell_type": "markdown", "source": ["<!-- include: a/status.md -->\n", "\n", "<!-- include: a/gone.md -->\n", "\n",
                                                         "<!-- claims-by-tree: a b -->"]},
                    {"cell_type": "code", "source": ["#| hide\n", "secret = 1"]}, {"cell_type": "code", "source": ["x = 1"]}]}
    (tmp_path / "index.ipynb").write_text(json.dumps(nb))
    md = make_readme.render(tmp_path / "index.ipynb")
    assert "Of the 1 claim tests: 1 reproduced." in md and "`a/gone.md` is not there yet" in md
    assert "(`b` has no claims table yet" in md and "| x-vs-y | toy | clean | quick | `x` | `y` | reproduced: +10.0 [+5.0, +15.0], 3 seeds | one tree so far |" in md
    assert "secret" not in md and "```python\nx = 1\n```" in md and "<!--" not in md.split("<!-- generated")[0]
