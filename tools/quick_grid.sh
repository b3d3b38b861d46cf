#!/usr/bin/env bash
# The quick grid (issue 23, part 5): every row of a tree of records (reports/quick, or a later class of machine's), one run at a time, clean protocol, seeds 0-2.
#
#   tools/quick_grid.sh            # run what is missing, in order (finished runs are skipped, cut runs resume)
#   tools/quick_grid.sh --list     # print the commands, run nothing
#   make quick-grid                # the same
#
# Every record stores the version of the code it ran (gazekit.runs.code_version): the grid refuses to start where that
# code differs from the commit (a dirty version, comparable with none), and a code change reruns finished runs. A dataset's runs
# all come from one environment fingerprint (one kind of machine): tools/grid_env.py gates each dataset. Runs use both
# cores (torch's default threads), nothing else should run beside them: their minutes are part of the record. Commit the records
# as they finish (reports/**/*.pt are ignored), with reports/quick/machines.json where the gate wrote it (the machines that
# replayed a dataset there), and rebuild the tables at the end: gazekit report TREE.
# The study beside it (tools/profile_study.py) repeats `full` and `gaze` without the weight average (reports/study/).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
if [ -z "${GAZEKIT_DATA:-}" ] && [ -d ../shared/data ]; then export GAZEKIT_DATA="$(cd ../shared/data && pwd)"; fi   # as .ci/run
SEEDS=${SEEDS:-0,1,2}
# A dataset's runs are compared with each other, so they must come from one environment (CPU models round differently):
# tools/grid_env.py says whether this machine may add to a dataset in a tree of records (same fingerprint, and one of the dataset's
# runs replayed bit for bit over its first steps, since two machines can report the same CPU and round differently). The grid keeps
# a tree per class of machine that began one (tools/grid_env.py's docstring says how): this machine adds to the one that
# `tools/grid_env.py --tree` names (QUICK=TREE names another), and the profile study (reports/study/*) only beside reports/quick.
# Where the gate refuses a dataset (exit 1) or cannot decide (exit 2: no data root, say), its lines are skipped. ANY_ENV=1 runs them
# anyway: rows of another fingerprint are marked in the tables and the claims across them say "not comparable", but rows from a
# machine that only the replay refused look like the others, so do not use it for that.
[ "${1:-}" = "--list" ] && LIST=1
if [ "${LIST:-0}" = 1 ]; then TREE=${QUICK:-"the tree tools/grid_env.py --tree names"}   # --list needs no .venv and no data
else TREE=$("$BIN/python" tools/grid_env.py --tree ${QUICK:+"$QUICK"}) || exit 2; fi
declare -A GATE
may_run() {
    [ "${ANY_ENV:-0}" = 1 ] && return 0
    if [ -z "${GATE[$1]+set}" ]; then
        local rc=0
        if [ "$TREE" = reports/quick ]; then "$BIN/python" tools/grid_env.py "$1" reports/quick reports/study/*/ || rc=$?
        else "$BIN/python" tools/grid_env.py "$1" "$TREE" || rc=$?; fi
        GATE[$1]=$rc
    fi
    return "${GATE[$1]}"
}
run() {
    echo "+ gazekit reproduce $*"; [ "${LIST:-0}" = 1 ] && return 0
    local rc=0; may_run "$1" || rc=$?
    if [ "$rc" = 1 ]; then echo "  skipped: this machine may not add to $1 in $TREE (above)"; return 0; fi
    if [ "$rc" != 0 ]; then echo "  skipped: the gate could not decide whether this machine may add to $1 in $TREE (exit $rc, above)"; return 0; fi
    if [[ " $* " == *" --reports "* ]]; then                           # the profile study: beside reports/quick only
        if [ "$TREE" != reports/quick ]; then echo "  skipped: the profile study belongs to reports/quick's machines; this one adds to $TREE"; return 0; fi
        "$BIN/gazekit" reproduce "$@" --seeds "$SEEDS" --protocols clean --profile quick
    else "$BIN/gazekit" reproduce "$@" --reports "$TREE" --seeds "$SEEDS" --protocols clean --profile quick; fi
}
if [ "${LIST:-0}" != 1 ] && "$BIN/python" -c "from gazekit.runs import code_version; exit(not code_version().endswith('-dirty'))"; then
    echo "the code a run executes differs from the commit (gazekit/, nbs/experiments/): commit it first, the grid runs one version of the code" >&2; exit 2
fi

# Kvasir-SEG: the fully supervised bound, the gaze baseline, and the four papers' headline rows
run kvasir-seg --methods full,gaze
run kvasir-seg --methods full --train-option eval_ema=0 --reports reports/study/no-ema   # the profile study's "before"
run kvasir-seg --methods gradtrack
run kvasir-seg --methods gazemedseg
# FGI, as released and gazekit's variant (the slowest rows: two networks, several passes a step; each run's minutes are in its record)
run kvasir-seg --methods fgi
run kvasir-seg --methods fgi -o darm_apply=ignore
# ACDC (after Kvasir-SEG's rows: a machine that begins a later tree fills in one dataset's claims first), semi-supervised, 5 % and 10 % labelled
run acdc --methods labeled,mt,hgdtgl
run acdc --methods labeled,mt,hgdtgl -o labeled=10%
# the ablations
run kvasir-seg --methods gazemedseg -o levels=1
run kvasir-seg --methods gazemedseg -o levels=3
run kvasir-seg --methods gazemedseg -o weight=0
run kvasir-seg --methods gradtrack -o order=shuffled
run kvasir-seg --methods gradtrack -o weights=uniform
run kvasir-seg --methods gradtrack -o attention=false
run kvasir-seg --methods gradtrack -o multilevel=false
run kvasir-seg --methods fgi -o darm=none
run kvasir-seg --methods fgi -o text=none
run acdc --methods hgdtgl -o gazemix=false
run acdc --methods hgdtgl -o mgp=false
run acdc --methods hgdtgl -o gaze_loss=false
run acdc --methods hgdtgl -o mix_ramp=false -o mix_rectify=false   # GazeMix as the paper describes it
run kvasir-seg --methods gaze --train-option eval_ema=0 --reports reports/study/no-ema
