"tools/quick_grid.sh: each dataset runs in the first tree of records whose gate lets this machine add to it; the profile study only beside reports/quick."
import os, shutil, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]

FAKE_PYTHON = """#!/bin/sh
# stands in for .venv/bin/python: the code-version check says 'clean'; the gate says yes where $ALLOW lists DATASET:TREE
if [ "$1" = -c ]; then exit 1; fi
if [ "$1" = tools/grid_env.py ]; then
    echo "gate $2 $3" >> "$CALLS"
    for pair in $ALLOW; do [ "$pair" = "$2:$3" ] && exit 0; done
    exit 1
fi
exit 3
"""
FAKE_GAZEKIT = """#!/bin/sh
echo "gazekit $*" >> "$CALLS"
"""


@pytest.fixture
def repo(tmp_path):
    "A copy of the grid script in a folder shaped like the repository, with two trees of records, and a BIN of stand-ins."
    (tmp_path / "tools").mkdir(); shutil.copy(ROOT / "tools" / "quick_grid.sh", tmp_path / "tools")
    for t in ("reports/quick", "reports/quick-b", "reports/study/no-ema"): (tmp_path / t).mkdir(parents=True)
    bin_ = tmp_path / "bin"; bin_.mkdir()
    for name, text in (("python", FAKE_PYTHON), ("gazekit", FAKE_GAZEKIT)):
        (bin_ / name).write_text(text); (bin_ / name).chmod(0o755)
    return tmp_path


def grid(repo, allow, **env):
    calls = repo / "calls.txt"; calls.write_text("")
    out = subprocess.run(["bash", str(repo / "tools" / "quick_grid.sh")], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "BIN": str(repo / "bin"), "ALLOW": allow, "CALLS": str(calls), "GAZEKIT_DATA": "/nowhere", **env})
    assert out.returncode == 0, out.stderr
    return calls.read_text().splitlines(), out.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_each_dataset_runs_in_the_first_tree_that_lets_the_machine_in(repo):
    calls, out = grid(repo, "kvasir-seg:reports/quick-b acdc:reports/quick")
    runs = [c for c in calls if c.startswith("gazekit")]
    assert runs and all("--reports reports/quick-b" in c for c in runs if " kvasir-seg " in c)
    assert all("--reports reports/quick " in c + " " for c in runs if " acdc " in c) and any(" acdc " in c for c in runs)
    assert not any("study" in c for c in runs)                              # the study stays beside reports/quick
    assert "profile study belongs to reports/quick" in out
    gates = [c for c in calls if c.startswith("gate")]
    assert gates == ["gate kvasir-seg reports/quick", "gate kvasir-seg reports/quick-b", "gate acdc reports/quick"]   # each dataset gated once


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_a_dataset_no_tree_lets_in_is_skipped_and_quick_picks_the_tree(repo):
    calls, out = grid(repo, "acdc:reports/quick-b")
    assert not any(" kvasir-seg " in c for c in calls if c.startswith("gazekit"))
    assert "may not add to kvasir-seg in any tree" in out
    calls, _ = grid(repo, "kvasir-seg:reports/quick", QUICK="reports/quick")   # QUICK: that tree alone, the study beside it
    runs = [c for c in calls if c.startswith("gazekit")]
    assert any("--reports reports/study/no-ema" in c for c in runs) and not any("quick-b" in c for c in calls)
