"Evaluating with averaged weights (`eval_ema`) changes what is scored and kept, never what is trained: a BatchNorm U-Net and a mean teacher."
import pytest, torch

from gazekit.runs import resolve_run, build_data, build_trainer, final_metrics


def _train(tmp_path, name, method="full", **train):
    spec = resolve_run(method=method, profile="smoke", protocol="clean", iterations=12, eval_every=6, train=dict(train, workers=0, progress=False))
    data = build_data(spec)
    t = build_trainer(spec, data, out=tmp_path / name); t.fit()
    return t, data, spec


@pytest.mark.parametrize("method", ["full", "mt"])
def test_eval_ema_scores_the_average_and_trains_the_same(tmp_path, method):
    plain, data, spec = _train(tmp_path, "plain", method)
    avg, _, spec_e = _train(tmp_path, "avg", method, eval_ema=0.9)
    for k, v in plain.method.state_dict().items():                 # the trained weights and buffers: bit for bit the same
        assert torch.equal(v, avg.method.state_dict()[k]), k
    bn = [k for k in avg.ema if k.endswith("running_mean")]
    assert bn and any(not torch.equal(avg.ema[k], avg.method.state_dict()[k]) for k in bn)   # BatchNorm averages averaged too
    res, _ = final_metrics(avg, data, spec_e)
    by_hand = build_trainer(spec, data)
    by_hand.method.load_state_dict(avg.ema)
    assert res["last"]["dice"] == pytest.approx(by_hand.evaluate(data["test"], distances=False)["dice"], abs=1e-9)
    kept = build_trainer(spec, data); kept.load(tmp_path / "avg" / "best.pt")   # best.pt: the weights the selection scored
    assert kept.evaluate(data["eval"], distances=False)["dice"] == pytest.approx(avg.best["dice"], abs=1e-6)
    for k, v in avg.method.state_dict().items():                   # final_metrics left the trained weights of the last step
        assert torch.equal(v, plain.method.state_dict()[k]), k
