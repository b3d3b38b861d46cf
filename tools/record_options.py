"""Give old run records their method options as data.

Records written before gazekit stored a run's method options in `metrics.json` carry them only in
their label (`hgdtgl+labeled=10%+mgp=false`). The report reads the options, never the label, and
lists such a record as failed. This tool reads the options from the label once, checks that they
give the label back, and writes them into `metrics.json` (atomically), with `"options_from":
"label"` beside them so the record says where they came from. Nothing else in the record changes.

    python tools/record_options.py reports/quick          # then: gazekit report reports/quick
"""
from __future__ import annotations
import json, sys
from pathlib import Path

from gazekit.core import read_json, save_json
from gazekit.runs import variant_label


def options_from_label(label: str, method: str) -> dict:
    "The options a label names, each value read as JSON where it parses (`false`, `0.5`, `3`), else as text (`10%`)."
    if label != method and not label.startswith(method + "+"):
        raise ValueError(f"label {label!r} is not a variant of {method!r}")
    out = {}
    for part in label[len(method) + 1:].split("+") if label != method else []:
        k, sep, v = part.partition("=")
        if not sep: raise ValueError(f"label {label!r}: {part!r} is not key=value")
        try: out[k] = json.loads(v)
        except ValueError: out[k] = v
    if variant_label(method, out) != label: raise ValueError(f"label {label!r} does not round-trip ({variant_label(method, out)!r})")
    return out


def main(reports) -> int:
    done = bad = 0
    for p in sorted(Path(reports).glob("runs/*/*/*/seed*/metrics.json")):
        m = read_json(p)
        if m is None or "options" in m: continue
        try: opts = options_from_label(m["label"], m["method"])
        except (KeyError, ValueError) as e:
            print(f"{p}: {e}; left as it is"); bad += 1; continue
        save_json({**m, "options": opts, "options_from": "label"}, p); done += 1
    print(f"{done} record(s) given their options, {bad} left")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "reports/quick"))
