"""May the quick grid add runs of DATASET on this machine? `python tools/grid_env.py DATASET [REPORTS ...]`

The claims compare runs of one dataset with each other (gazekit.claims), and only runs of one version of
the code and one environment fingerprint. The fingerprint names the CPU model because CPU models round
differently: the same run's loss differs in the sixth digit after ten steps on an Intel Xeon and an AMD
EPYC, and training amplifies that into a different network. So a dataset's runs must all come from one
kind of machine. This prints which environments the dataset's finished records at the current code version
come from (in REPORTS, default reports/quick and reports/study/*) and exits 0 where they are none or this
machine's, 1 where another environment has begun them (the grid then leaves that dataset to such a machine).
"""
import sys
from pathlib import Path

import pandas as pd

from gazekit.report import collect_runs
from gazekit.runs import code_version, environment


def record_envs(dataset:str, folders:list[Path], code:str) -> dict:
    "fingerprint -> (device, number of records) over the finished records of `dataset` at code version `code` in `folders` (read by `collect_runs`)."
    runs = pd.concat([collect_runs(f) for f in folders if (f/"runs").is_dir()] or [pd.DataFrame(columns=["dataset", "status", "code", "fingerprint", "device"])])
    ok = runs[(runs.dataset == dataset) & (runs.status == "ok") & (runs.code == code)]   # cut off or an older version: the grid reruns it
    return {f: (g.device.iloc[0], len(g)) for f, g in ok.groupby("fingerprint")}


def main(argv:list[str]) -> int:
    if not argv: print(__doc__); return 2
    dataset, folders = argv[0], [Path(p) for p in argv[1:]] or [Path("reports/quick"), *sorted(Path("reports/study").glob("*/"))]
    here, code = environment(), code_version()
    envs = record_envs(dataset, folders, code.removesuffix("-dirty"))
    others = {f: v for f, v in envs.items() if f != here["fingerprint"]}
    for f, (dev, n) in envs.items():
        print(f"{dataset}: {n} finished run(s) at code {code} in environment {f} ({dev}){' - this machine' if f == here['fingerprint'] else ''}")
    if others:
        print(f"{dataset}: this machine is environment {here['fingerprint']} ({here['device']}); its runs would not compare with those above. "
              f"Run the rest of {dataset} on such a machine, or remove those records (they stay in git) to start {dataset} over here.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
