#!/usr/bin/env bash
# The quick grid (issue 23, part 5): every row of reports/quick/, one run at a time, clean protocol, seeds 0-2.
#
#   tools/quick_grid.sh            # run what is missing, in order (finished runs are skipped, cut runs resume)
#   tools/quick_grid.sh --list     # print the commands, run nothing
#   make quick-grid                # the same
#
# Every record stores the version of the code it ran (gazekit.runs.code_version): the grid refuses to start where that
# code differs from the commit (a dirty version, comparable with none), and a code change reruns finished runs. A dataset's runs
# all come from one environment fingerprint (one kind of machine): tools/grid_env.py gates each dataset. Runs use both
# cores (torch's default threads), nothing else should run beside them: their minutes are part of the record. Commit the records
# as they finish (reports/**/*.pt are ignored), and rebuild the tables at the end: gazekit report reports/quick.
# The study beside it (tools/profile_study.py) repeats `full` and `gaze` without the weight average (reports/study/).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
if [ -z "${GAZEKIT_DATA:-}" ] && [ -d ../shared/data ]; then export GAZEKIT_DATA="$(cd ../shared/data && pwd)"; fi   # as .ci/run
SEEDS=${SEEDS:-0,1,2}
# A dataset's runs are compared with each other, so they must come from one environment (CPU models round differently):
# tools/grid_env.py says whether this machine may add to a dataset in a tree of records (same fingerprint, and one of the dataset's
# runs replayed bit for bit over its first steps, since two machines can report the same CPU and round differently). The grid keeps
# one tree per class of machine that has begun one: reports/quick (with the profile study, reports/study/*) first, then each
# reports/quick-NAME (begun by `tools/grid_env.py --new-root reports/quick-NAME` on the first machine of a class, which describes
# it there; these hold the quick grid alone). Each dataset runs in the first tree that lets this machine add to it; where none
# does, its lines are skipped. QUICK=TREE picks the tree; ANY_ENV=1 runs in the first tree anyway: rows of another fingerprint are
# marked in the tables and the claims across them say "not comparable", but rows from a machine that only the replay refused look
# like the others, so do not use it for that.
if [ -n "${QUICK:-}" ]; then TREES=("$QUICK"); else TREES=(reports/quick); for t in reports/quick-*/; do [ -d "$t" ] && TREES+=("${t%/}"); done; fi
declare -A TREE
gate_folders() { if [ "$1" = reports/quick ]; then echo reports/quick reports/study/*/; else echo "$1"; fi; }
choose_tree() {
    [ -n "${TREE[$1]+set}" ] && return 0
    TREE[$1]=""
    for t in "${TREES[@]}"; do
        if [ "${ANY_ENV:-0}" = 1 ] || "$BIN/python" tools/grid_env.py "$1" $(gate_folders "$t"); then TREE[$1]=$t; echo "  $1: runs in $t"; return 0; fi
    done
}
run() {
    echo "+ gazekit reproduce $*"; [ "${LIST:-0}" = 1 ] && return 0
    choose_tree "$1"; local t=${TREE[$1]}
    if [ -z "$t" ]; then echo "  skipped: this machine may not add to $1 in any tree (${TREES[*]}; above)"; return 0; fi
    if [[ " $* " == *" --reports "* ]]; then                           # the profile study: beside reports/quick only
        if [ "$t" != reports/quick ]; then echo "  skipped: the profile study belongs to reports/quick's machines, and $1 runs in $t here"; return 0; fi
        "$BIN/gazekit" reproduce "$@" --seeds "$SEEDS" --protocols clean --profile quick
    else "$BIN/gazekit" reproduce "$@" --reports "$t" --seeds "$SEEDS" --protocols clean --profile quick; fi
}
[ "${1:-}" = "--list" ] && LIST=1
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
