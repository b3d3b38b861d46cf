"tools/grid_env.py: a dataset's quick-grid runs stay on one environment fingerprint (one kind of machine)."
import importlib.util, json, shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
_spec = importlib.util.spec_from_file_location("grid_env", ROOT / "tools" / "grid_env.py")
grid_env = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(grid_env)

SOURCE = ROOT / "reports/quick/runs/kvasir-seg/full/clean/seed0"   # a real committed record, copied and relabelled below


def _plant(reports:Path, seed:int, fingerprint:str, code:str, status:str="ok", dataset:str="kvasir-seg") -> Path:
    "A copy of a committed record as `<reports>/runs/<dataset>/full/clean/seed<seed>`, its fingerprint, code version and status rewritten."
    d = reports / "runs" / dataset / "full" / "clean" / f"seed{seed}"
    d.mkdir(parents=True)
    for f in ("metrics.json", "config.json", "params.json", "log.jsonl"): shutil.copy(SOURCE / f, d / f)
    m = json.loads((d / "metrics.json").read_text()); m.update(seed=seed, status=status, dataset=dataset)
    (d / "metrics.json").write_text(json.dumps(m))
    c = json.loads((d / "config.json").read_text()); c["environment"].update(fingerprint=fingerprint, code=code, dirty=False)
    (d / "config.json").write_text(json.dumps(c))
    return d


@pytest.fixture
def here(monkeypatch):
    "This machine, as grid_env sees it: environment `aaaa`, code version `v2`; a replay reproduces the record (the replay itself: below)."
    monkeypatch.setattr(grid_env, "environment", lambda: {"fingerprint": "aaaa", "device": "CPU: test"})
    monkeypatch.setattr(grid_env, "code_version", lambda: "v2")
    monkeypatch.setattr(grid_env, "replay", lambda record, steps=10: ([{"step": 10, "loss": 0.5}], [{"step": 10, "loss": 0.5}]))


@pytest.mark.skipif(not (SOURCE / "metrics.json").exists(), reason=f"no committed record at {SOURCE} to copy")
def test_grid_env_gates_a_dataset_on_its_first_environment(tmp_path, here, capsys):
    q = tmp_path / "quick"
    assert grid_env.main(["kvasir-seg", str(q)]) == 0                         # nothing begun: any machine may start it
    _plant(q, 0, "aaaa", "v2"); _plant(q, 1, "aaaa", "v2")
    assert grid_env.record_envs("kvasir-seg", [q], "v2") == {"aaaa": ("CPU: AMD EPYC (2 threads)", 2)}
    assert grid_env.main(["kvasir-seg", str(q)]) == 0                         # begun here: go on
    assert "this machine" in capsys.readouterr().out
    _plant(q, 2, "bbbb", "v2")                                                # a record from another kind of machine
    assert grid_env.main(["kvasir-seg", str(q)]) == 1
    out = capsys.readouterr().out
    assert "bbbb" in out and "would not compare" in out
    assert grid_env.main(["acdc", str(q)]) == 0                               # the gate is per dataset


@pytest.mark.skipif(not (SOURCE / "metrics.json").exists(), reason=f"no committed record at {SOURCE} to copy")
def test_grid_env_ignores_older_code_and_unfinished_runs(tmp_path, here):
    q = tmp_path / "quick"
    _plant(q, 0, "bbbb", "v1")                                                # another machine, but an older code version: rerun anyway
    _plant(q, 1, "bbbb", "v2", status="failed")                              # another machine, but it did not finish
    assert grid_env.record_envs("kvasir-seg", [q], "v2") == {}
    assert grid_env.main(["kvasir-seg", str(q)]) == 0
    s = tmp_path / "study"                                                    # every folder given is read, not only the first
    _plant(s, 0, "bbbb", "v2")
    assert grid_env.main(["kvasir-seg", str(q), str(s)]) == 1


@pytest.mark.skipif(not (SOURCE / "metrics.json").exists(), reason=f"no committed record at {SOURCE} to copy")
def test_a_machine_that_does_not_replay_the_records_is_refused(tmp_path, here, monkeypatch, capsys):
    "Same fingerprint, different arithmetic (two machines that both report 'AMD EPYC'): the replay decides."
    q = tmp_path / "quick"
    _plant(q, 1, "aaaa", "v2"); _plant(q, 0, "aaaa", "v2")
    assert grid_env.replay_record("kvasir-seg", [q], "v2", "aaaa") == q / "runs/kvasir-seg/full/clean/seed0"   # lowest seed
    assert grid_env.replay_record("kvasir-seg", [q], "v2", "bbbb") is None
    replayed = []
    def differs(record, steps=10):
        replayed.append(record); return [{"step": 10, "loss": 0.706183910369873}], [{"step": 10, "loss": 0.7060710191726685}]
    monkeypatch.setattr(grid_env, "replay", differs)
    assert grid_env.main(["kvasir-seg", str(q)]) == 1 and replayed == [q / "runs/kvasir-seg/full/clean/seed0"]
    assert "does not reproduce" in capsys.readouterr().out
    assert grid_env.main(["kvasir-seg", str(q), "--no-replay"]) == 0 and len(replayed) == 1


def test_replay_reproduces_a_run_bit_for_bit_on_the_machine_that_made_it(tmp_path):
    "The real replay, on the embedded synthetic set: a run's first steps trained twice here log the same losses; a changed digit is caught."
    record = tmp_path / "seed0"
    params = {"dataset": "synthetic", "method": "full", "profile": "smoke", "seed": 0}
    (record).mkdir(); (record / "params.json").write_text(json.dumps(params))
    grid_env.train_start(params, record, steps=10)
    want, got = grid_env.replay(record, steps=10)
    assert len(want) == 1 and want[0]["step"] == 10 and "time" not in want[0]
    assert want == got
    line = json.loads((record / "log.jsonl").read_text().splitlines()[0])
    line["loss"] = float(line["loss"]) * (1 + 1e-6)                          # the size of the EPYC-to-EPYC difference, and smaller
    (record / "log.jsonl").write_text(json.dumps(line) + "\n")
    assert grid_env.logged_losses(record / "log.jsonl", 10) != got


@pytest.mark.skipif(not (SOURCE / "metrics.json").exists(), reason=f"no committed record at {SOURCE} to copy")
def test_a_tree_for_another_class_of_machine_is_described_and_gated_by_it(tmp_path, here, monkeypatch, capsys):
    "A later class of machine begins its own tree (--new-root): its description lets machines like it in, and keeps others out before any replay."
    reports = tmp_path / "reports"; (reports / "quick").mkdir(parents=True)
    t = reports / "quick-x"
    assert grid_env.tree_for(reports=reports) == reports / "quick"          # no tree describes this machine: the first tree
    assert grid_env.new_root(t, reports) == 0
    described = json.loads((t / grid_env.MACHINE_FILE).read_text())
    assert described == grid_env.machine() and described["torch_cpu_capability"] and "avx512f" in described
    assert grid_env.new_root(t, reports) == 2                                # begun once
    assert grid_env.new_root(reports / "quick-y", reports) == 2 and not (reports / "quick-y").exists()   # this class has its tree
    assert grid_env.described_trees(reports) == [t] and grid_env.tree_for(reports=reports) == t
    assert grid_env.fits(t) is None and grid_env.fits(reports / "quick") is None   # this machine; a tree with no description
    _plant(t, 0, "aaaa", "v2")
    replayed = []
    monkeypatch.setattr(grid_env, "replay", lambda record, steps=10: replayed.append(record) or ([{"loss": 1}], [{"loss": 1}]))
    assert grid_env.main(["kvasir-seg", str(t)]) == 0 and len(replayed) == 1
    other = {**described, "vendor": "SomeOtherVendor", "torch_cpu_capability": "SOME-OTHER-ISA"}
    monkeypatch.setattr(grid_env, "machine", lambda: other)
    assert grid_env.main(["kvasir-seg", str(t)]) == 1 and len(replayed) == 1   # refused by the description: no replay
    assert "another kind of machine" in capsys.readouterr().out
    assert grid_env.tree_for(reports=reports) == reports / "quick"          # the other class goes to the first tree


def test_a_named_tree_must_exist_and_be_the_first_or_described(tmp_path):
    reports = tmp_path / "reports"; (reports / "quick").mkdir(parents=True); (reports / "quick-bare").mkdir()
    (reports / "quick-x").mkdir(); (reports / "quick-x" / grid_env.MACHINE_FILE).write_text("{}")
    assert grid_env.tree_for("quick-x", reports) == reports / "quick-x"      # a name under reports/
    assert grid_env.tree_for(f"{reports}/quick/", reports) == reports / "quick"   # a path, its trailing slash dropped
    for bad in ("quick-bare", "nowhere"):                                   # no description; not there
        with pytest.raises(grid_env.ConfigError): grid_env.tree_for(bad, reports)
    assert grid_env.described_trees(reports) == [reports / "quick-x"]


@pytest.mark.skipif(not (SOURCE / "metrics.json").exists(), reason=f"no committed record at {SOURCE} to copy")
def test_machines_that_replay_the_first_tree_are_listed_per_dataset(tmp_path, here, monkeypatch):
    "Each machine whose replay of a dataset's records in the first tree matches is listed once for that dataset (facts, code, record); the list refuses no one."
    q = tmp_path / "quick"; _plant(q, 0, "aaaa", "v2")
    monkeypatch.setattr(grid_env, "FIRST_TREE", q)
    listed = lambda: json.loads((q / grid_env.DATASET_MACHINES).read_text())
    assert grid_env.main(["kvasir-seg", str(q), "--no-replay"]) == 0 and not (q / grid_env.DATASET_MACHINES).exists()   # no replay: nothing proven
    assert grid_env.main(["kvasir-seg", str(q)]) == 0
    (e,) = listed()["kvasir-seg"]
    assert e["code"] == "v2" and e["vendor"] == grid_env.machine()["vendor"] and e["replayed"].endswith("runs/kvasir-seg/full/clean/seed0")
    assert grid_env.main(["kvasir-seg", str(q)]) == 0 and len(listed()["kvasir-seg"]) == 1          # listed once
    other = {**grid_env.machine(), "vendor": "SomeOtherVendor"}
    monkeypatch.setattr(grid_env, "machine", lambda: other)
    assert grid_env.main(["kvasir-seg", str(q)]) == 0 and [x["vendor"] for x in listed()["kvasir-seg"]][1] == "SomeOtherVendor"   # not refused: the replay decides
    monkeypatch.setattr(grid_env, "machine", lambda: {**other, "vendor": "AThird"})
    monkeypatch.setattr(grid_env, "replay", lambda record, steps=10: ([{"loss": 1.0}], [{"loss": 1.5}]))
    assert grid_env.main(["kvasir-seg", str(q)]) == 1 and len(listed()["kvasir-seg"]) == 2          # a failed replay lists nothing
    s = tmp_path / "study"; _plant(s, 0, "aaaa", "v2")
    monkeypatch.setattr(grid_env, "replay", lambda record, steps=10: ([{"loss": 1}], [{"loss": 1}]))
    assert grid_env.main(["kvasir-seg", str(s)]) == 0 and not (s / grid_env.DATASET_MACHINES).exists()   # only the first tree lists


def test_a_description_must_name_facts_and_quick_cannot_send_a_described_class_to_the_first_tree(tmp_path):
    assert grid_env._misfit({}) is not None and grid_env._misfit({"code": "v2"}) is not None
    assert grid_env._misfit({**grid_env.machine(), "code": "v2", "replayed": "r"}) is None
    assert grid_env._misfit({"vendor": grid_env.machine()["vendor"], "renamed_fact": 1}) is not None    # a fact this machine lacks: no fit
    reports = tmp_path / "reports"; (reports / "quick").mkdir(parents=True)
    assert grid_env.tree_for("quick", reports) == reports / "quick"
    assert grid_env.new_root(reports / "quick-x", reports) == 0
    with pytest.raises(grid_env.ConfigError): grid_env.tree_for("quick", reports)
