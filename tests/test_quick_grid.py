"tools/quick_grid.sh: the machine adds to the one tree of records `grid_env.py --tree` names, each dataset gated once, the profile study only beside reports/quick."
import os, shutil, subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")

FAKE_PYTHON = """#!/bin/sh
# stands in for .venv/bin/python: the code-version check says 'clean'; `--tree` answers $TREE_IS (exit $TREE_RC);
# the gate logs its arguments and answers $GATE_RC where $ALLOW lists DATASET:TREE, else 1
if [ "$1" = -c ]; then exit 1; fi
if [ "$1" = tools/grid_env.py ] && [ "$2" = --tree ]; then echo "$TREE_IS"; exit "${TREE_RC:-0}"; fi
if [ "$1" = tools/grid_env.py ]; then
    echo "gate $*" >> "$CALLS"
    for pair in $ALLOW; do [ "$pair" = "$2:$3" ] && exit "${GATE_RC:-0}"; done
    exit 1
fi
exit 3
"""
FAKE_GAZEKIT = """#!/bin/sh
echo "gazekit $*" >> "$CALLS"
"""


@pytest.fixture
def repo(tmp_path):
    "A copy of the grid script in a folder shaped like the repository, and a BIN of stand-ins."
    (tmp_path / "tools").mkdir(); shutil.copy(ROOT / "tools" / "quick_grid.sh", tmp_path / "tools")
    for t in ("reports/quick", "reports/quick-b", "reports/study/no-ema"): (tmp_path / t).mkdir(parents=True)
    bin_ = tmp_path / "bin"; bin_.mkdir()
    for name, text in (("python", FAKE_PYTHON), ("gazekit", FAKE_GAZEKIT)):
        (bin_ / name).write_text(text); (bin_ / name).chmod(0o755)
    return tmp_path


def grid(repo, tree, allow, rc=0, **env):
    calls = repo / "calls.txt"; calls.write_text("")
    out = subprocess.run(["bash", str(repo / "tools" / "quick_grid.sh")], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "BIN": str(repo / "bin"), "TREE_IS": tree, "ALLOW": allow, "CALLS": str(calls),
                              "GAZEKIT_DATA": "/nowhere", **env})
    assert out.returncode == rc, out.stderr
    lines = calls.read_text().splitlines()
    return [l for l in lines if l.startswith("gate")], [l for l in lines if l.startswith("gazekit")], out.stdout


def test_a_later_tree_takes_the_quick_grid_alone(repo):
    gates, runs, out = grid(repo, "reports/quick-b", "kvasir-seg:reports/quick-b")
    assert gates == ["gate tools/grid_env.py kvasir-seg reports/quick-b", "gate tools/grid_env.py acdc reports/quick-b"]   # once each, alone
    assert runs and all(" kvasir-seg " in r and "--reports reports/quick-b " in r for r in runs)
    assert "profile study belongs to reports/quick" in out and "may not add to acdc in reports/quick-b" in out


def test_the_first_tree_is_gated_with_the_study_beside_it(repo):
    gates, runs, _ = grid(repo, "reports/quick", "kvasir-seg:reports/quick acdc:reports/quick")
    assert gates[0] == "gate tools/grid_env.py kvasir-seg reports/quick reports/study/no-ema/"
    study = [r for r in runs if "study" in r]
    assert study and all("--reports reports/study/no-ema " in r and "--reports reports/quick " not in r for r in study)
    assert any(" acdc " in r and "--reports reports/quick " in r for r in runs)


def test_a_gate_that_cannot_decide_skips_the_dataset_and_says_so(repo):
    gates, runs, out = grid(repo, "reports/quick-b", "kvasir-seg:reports/quick-b acdc:reports/quick-b", GATE_RC="2")
    assert runs == [] and len(gates) == 2
    assert "could not decide whether this machine may add to kvasir-seg in reports/quick-b (exit 2" in out


def test_no_tree_no_grid(repo):
    gates, runs, _ = grid(repo, "", "kvasir-seg:reports/quick", rc=2, TREE_RC="2")
    assert gates == [] and runs == []


def test_list_needs_no_venv(repo):
    "`--list` (the README's way to see the grid) runs in a fresh clone: no .venv, no data, nothing called."
    calls = repo / "calls.txt"; calls.write_text("")
    out = subprocess.run(["bash", str(repo / "tools" / "quick_grid.sh"), "--list"], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "BIN": str(repo / "no-venv"), "CALLS": str(calls)})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "+ gazekit reproduce kvasir-seg --methods full,gaze" and len(lines) > 20 and all(l.startswith("+ gazekit reproduce ") for l in lines)
    assert calls.read_text() == ""
