"""How much a profile's result moves with the seed, per variant of the profile: `python tools/profile_study.py reports/study [NAME=REPORTS ...]`

Each sub-folder of the study folder holds the records of one variant of the profile, made by
`gazekit reproduce DATASET --methods ... --seeds 0,1,2 --protocols clean --reports reports/study/<variant> [changes]`;
NAME=REPORTS adds the same datasets and methods from another reports folder as a variant (e.g. `ema=reports/quick`, the profile itself).
Writes, from the records alone, `spread.md` (per variant and method: the settings that vary, each seed's test Dice,
mean, standard deviation and range over the seeds, the selected checkpoint's step and validation Dice, minutes a run,
and the version of the code and the environment fingerprint the runs share) and `spread.png` (the validation Dice at every evaluation,
one line per seed, the selected checkpoint marked)."""
import json, sys
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from gazekit.report import collect_runs

KNOBS = ("norm", "eval_ema", "lr", "batch_size", "iterations", "n_eval", "threads")   # what a variant of the quick profile may change


def settings(run:Path) -> dict:
    "The settings of one run that the study varies, read from its config.json."
    c = json.loads((run/"config.json").read_text())
    t, env = c["train_config"], c.get("environment") or {}
    return {"norm": c["model"].get("norm"), "eval_ema": t.get("eval_ema", 0.0), "lr": t["lr"], "batch_size": t["batch_size"],
            "iterations": t["iterations"], "n_eval": c.get("n_eval"), "threads": env.get("threads")}


def evaluations(run:Path) -> pd.DataFrame:
    "The validation Dice of every evaluation during the run (its log.jsonl)."
    rows = [json.loads(l) for l in (run/"log.jsonl").read_text().splitlines() if l.strip()]
    return pd.DataFrame([{"step": r["step"], "dice": 100 * r["eval"]["dice"]} for r in rows if "eval" in r])


def collect(study:Path, also:dict={}) -> pd.DataFrame:
    "The finished runs of every variant: the study's sub-folders, then `also` (name: a reports folder, e.g. the profile's own grid), the latter cut to the study's datasets and methods."
    rows, keep = [], None
    for name, v in [*((p.name, p) for p in sorted(study.iterdir()) if (p/"runs").is_dir()), *((n, Path(p)) for n, p in also.items())]:
        if name in also and keep is None: keep = {(row["dataset"], row["method"]) for row in rows}
        runs = collect_runs(v)
        for _, r in runs[runs.status == "ok"].iterrows():
            if keep is not None and (r.dataset, r.label) not in keep: continue
            m = json.loads((Path(r.run)/"metrics.json").read_text())
            rows.append({"variant": name, "dataset": r.dataset, "method": r.label, "seed": int(r.seed), "dice": 100 * r.dice, "val_dice": 100 * m.get("val_dice", np.nan),
                         "selected_step": r.selected_step, "minutes": r.wall_s / 60, "commit": r.code if isinstance(r.code, str) else r.commit, "fingerprint": r.fingerprint,
                         "run": r.run, **settings(Path(r.run))})
    return pd.DataFrame(rows)


def spread_table(df:pd.DataFrame) -> pd.DataFrame:
    out = []
    for (v, m), g in df.groupby(["variant", "method"], sort=False):
        g = g.sort_values("seed")
        out.append({"variant": v, "method": m, **{k: g[k].iloc[0] for k in KNOBS},
                    "seeds": ", ".join(map(str, g.seed)), "test Dice per seed": " / ".join(f"{x:.2f}" for x in g.dice),
                    "mean": g.dice.mean(), "std": g.dice.std(ddof=1), "range": g.dice.max() - g.dice.min(),
                    "selected steps": " / ".join(str(int(s)) for s in g.selected_step),
                    "val Dice per seed": " / ".join(f"{x:.2f}" for x in g.val_dice), "minutes a run": g.minutes.mean()})
    return pd.DataFrame(out)


def markdown(df:pd.DataFrame, study:Path) -> str:
    envs = sorted(set(zip(df.commit, df.fingerprint.fillna("unrecorded"))))
    one = len(envs) == 1 and envs[0][1] != "unrecorded" and not str(envs[0][0]).endswith("-dirty")
    head = [f"# Seed spread of the profile's variants ({study.name})", "",
            "Rebuilt by `tools/profile_study.py` from the run records under this folder; nothing here is typed in. "
            "Test Dice in percent (the dataset's test split, scored once on the checkpoint chosen on the validation split: the clean protocol); "
            "std: the standard deviation over the seeds (n - 1); range: the largest minus the smallest seed.", "",
            (f"All runs: one version of the code and one environment, `{envs[0][0][:12]}` / `{envs[0][1]}`." if one else
             "**Not one environment**: " + ", ".join(f"`{c[:12]}` / `{f}`" for c, f in envs) + ". The variants are not compared like with like."), ""]
    t = spread_table(df)
    cols = ["variant", "method", *KNOBS, "seeds", "test Dice per seed", "mean", "std", "range", "selected steps", "val Dice per seed", "minutes a run"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in t.iterrows():
        lines.append("| " + " | ".join(f"{r[c]:.2f}" if isinstance(r[c], float) and c not in ("lr", "eval_ema") else str(r[c]) for c in cols) + " |")
    paired = []
    variants = list(dict.fromkeys(df.variant))
    for m in dict.fromkeys(df.method):
        for a, b in zip(variants, variants[1:]):
            x = df[(df.method == m) & (df.variant == a)].set_index("seed").dice
            y = df[(df.method == m) & (df.variant == b)].set_index("seed").dice
            s = sorted(set(x.index) & set(y.index))
            if s: paired.append(f"| {m} | {b} − {a} | {', '.join(map(str, s))} | " + " / ".join(f"{y[k] - x[k]:+.2f}" for k in s) + " |")
    if paired:
        lines += ["", "Per seed, one variant against the one before it (same seed, same test images):", "",
                  "| method | difference | seeds | test Dice difference per seed |", "|---|---|---|---|", *paired]
    return "\n".join(head + lines) + "\n\n![validation Dice at each evaluation](spread.png)\n"


def figure(df:pd.DataFrame, path:Path):
    groups = list(df.groupby(["method", "variant"], sort=False))
    methods = list(dict.fromkeys(df.method)); variants = list(dict.fromkeys(df.variant))
    fig, axes = plt.subplots(len(methods), len(variants), figsize=(4.2 * len(variants), 3.0 * len(methods)), squeeze=False, sharey="row")
    for ax in axes.flat: ax.set_visible(False)
    for (m, v), g in groups:
        ax = axes[methods.index(m)][variants.index(v)]; ax.set_visible(True)
        for _, r in g.sort_values("seed").iterrows():
            e = evaluations(Path(r.run))
            line, = ax.plot(e.step, e.dice, marker="o", ms=3, label=f"seed {r.seed}")
            ax.plot([r.selected_step], [r.val_dice], marker="*", ms=12, color=line.get_color())
        ax.set_title(f"{m}: {v}", fontsize=10); ax.set_xlabel("step"); ax.grid(alpha=0.3)
        if variants.index(v) == 0: ax.set_ylabel("validation Dice (%)")
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle("Validation Dice at each evaluation (star: the checkpoint selected)", fontsize=11)
    fig.tight_layout(); fig.savefig(path, dpi=110); plt.close(fig)


def main(study="reports/study", *also):
    "`also`: NAME=FOLDER, further variants read from a reports folder (e.g. `ema=reports/quick`, the profile as it now is)."
    study = Path(study)
    df = collect(study, dict(a.split("=", 1) for a in also))
    if df.empty: sys.exit(f"no finished runs under {study}/*/runs: run the variants first (see this script's docstring).")
    (study/"spread.md").write_text(markdown(df, study))
    figure(df, study/"spread.png")
    spread_table(df).to_csv(study/"spread.csv", index=False)
    print(f"wrote {study/'spread.md'}, spread.csv and spread.png ({len(df)} runs)")


if __name__ == "__main__": main(*sys.argv[1:])
