"""The exploration bonus (``simbelief_edu.rl.rnd``, book chapter 10): random network
distillation learns what it has seen, its bonus is β in units of the batch's mean error, and
in the training loop β = 0 is exactly the run without a bonus."""

from __future__ import annotations

import pytest
import torch

import simbelief_edu.train as train_module
from simbelief_edu.configs import make_config
from simbelief_edu.rl.rnd import RND, annealed_weight, normalised_bonus, rnd_error
from simbelief_edu.seeds import train_seeds
from simbelief_edu.train import CHECKPOINT, Run, sac_inputs, train


def _error(rnd: RND, x: torch.Tensor) -> float:
    with torch.no_grad():
        return rnd_error(rnd.predictor, rnd.target, rnd.normalise(x)).mean().item()


def _history(run: Run) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "wall_time"} for row in run.history]


def test_the_predictor_error_falls_on_a_batch_it_trains_on():
    torch.manual_seed(0)
    rnd = RND(6, hidden=32, lr=1e-3)
    x = torch.randn(128, 6)
    rnd.update(x, 1.0)  # sets the running statistics from this batch
    before = _error(rnd, x)
    for _ in range(300):
        rnd.update(x, 1.0)
    assert _error(rnd, x) < 0.1 * before


def test_the_error_is_higher_on_inputs_it_has_not_seen():
    torch.manual_seed(0)
    rnd = RND(6, hidden=32, lr=1e-3)
    seen = torch.randn(512, 6)
    for _ in range(300):
        rnd.update(seen, 1.0)
    unseen = torch.randn(512, 6) + torch.tensor([3.0, -3.0, 3.0, -3.0, 3.0, -3.0])
    fresh = torch.randn(512, 6)  # new draws from the trained distribution
    assert _error(rnd, unseen) > 5 * _error(rnd, seen)
    assert _error(rnd, unseen) > 5 * _error(rnd, fresh)


def test_the_bonus_is_beta_times_the_error_over_the_batch_mean_clipped_at_10():
    error = torch.tensor([1.0, 2.0, 4.0, 50.0])
    bonus = normalised_bonus(error, torch.tensor(2.0), 0.3)
    torch.testing.assert_close(bonus, torch.tensor([0.15, 0.3, 0.6, 3.0]))
    assert annealed_weight(0.2, 0, 10) == 0.2
    assert annealed_weight(0.2, 5, 10) == pytest.approx(0.1)
    assert annealed_weight(0.2, 9, 10) == pytest.approx(0.02)
    # ē is each batch's own mean error: the mean bonus of every batch is β (nothing clipped
    # here), also after the predictor has learnt (a running mean would lag behind it)
    torch.manual_seed(0)
    rnd = RND(4, hidden=16, lr=1e-2)
    x = torch.randn(64, 4)
    for step in range(200):
        bonus, logs = rnd.update(x, 0.3)
        if step in (0, 199):
            assert bonus.mean().item() == pytest.approx(0.3, rel=1e-5)
            assert logs["rnd_bonus"] == pytest.approx(0.3, rel=1e-5) and logs["rnd_error"] > 0
    # a batch mixing trained inputs with novel ones pays the novel ones more
    novel = torch.randn(8, 4) + 4.0
    bonus, _ = rnd.update(torch.cat([x[:56], novel]), 0.3)
    assert bonus[56:].mean() > 3 * bonus[:56].mean()


def _plain_update_policy(self) -> dict[str, float]:
    """``Run.update_policy`` as it was before the bonus existed."""
    sums: dict[str, float] = {}
    for _ in range(self.cfg.rl_updates_per_iter):
        b = self.sac_batch()
        logs = self.sac.update(*sac_inputs(self.agent, b))
        if self.latent_opts:
            logs.update(self.latent_step(b))
        self.add_update_logs(sums, logs)
    return sums


def _no_rnd(*args, **kwargs):
    raise AssertionError("an RND was built although exploration_bonus is 0")


@pytest.mark.parametrize("agent", ["simbelief", "varibad"])
def test_a_zero_bonus_reproduces_the_run_without_a_bonus_exactly(agent, tmp_path, monkeypatch):
    cfg = make_config("point-robot-sparse", "smoke", agent, seed=2, exploration_bonus=0.0)
    monkeypatch.setattr(train_module, "RND", _no_rnd)  # β = 0 builds no RND at all
    zero = train(cfg, tmp_path / "zero", progress=False)
    monkeypatch.setattr(Run, "update_policy", _plain_update_policy)
    reference = train(cfg, tmp_path / "reference", progress=False)
    assert _history(zero) == _history(reference)
    assert "rnd_bonus" not in zero.history[-1]
    for p, q in zip(zero.sac.parameters(), reference.sac.parameters(), strict=True):
        assert torch.equal(p, q)
    assert "rnd" not in torch.load(tmp_path / "zero" / CHECKPOINT, weights_only=True)


def test_a_bonus_changes_what_sac_learns_and_is_logged(tmp_path):
    cfg = make_config("point-robot-sparse", "smoke", "varibad", seed=2, eval_every=1)
    without = train(cfg, tmp_path / "without", progress=False)
    cfg.exploration_bonus = 0.5
    with_bonus = train(cfg, tmp_path / "with", progress=False)
    critics = zip(without.sac.critic.parameters(), with_bonus.sac.critic.parameters(), strict=True)
    assert not all(torch.equal(p, q) for p, q in critics)
    bonuses = [row["rnd_bonus"] for row in with_bonus.history]  # one row per iteration
    assert len(bonuses) == cfg.num_iters and all(b > 0 for b in bonuses)
    assert bonuses[-1] < bonuses[0]  # annealed: β_i = β (1 − i/I)
    assert all(row["rnd_error"] > 0 for row in with_bonus.history)


@pytest.mark.parametrize("value, ok", [(0.0, True), (0.3, True), (-0.1, False)])
def test_the_bonus_weight_must_be_non_negative(value, ok):
    if ok:
        assert make_config("point-robot-sparse", "smoke", exploration_bonus=value)
    else:
        with pytest.raises(ValueError, match="exploration_bonus must be non-negative"):
            make_config("point-robot-sparse", "smoke", exploration_bonus=value)


def test_seeds_batched_together_refuse_a_bonus_and_name_the_alternative(tmp_path):
    cfgs = [make_config("point-robot-sparse", "smoke", "varibad", seed=s, exploration_bonus=0.2)
            for s in (1, 2)]  # fmt: skip
    outs = [tmp_path / f"seed{s}" for s in (1, 2)]
    with pytest.raises(ValueError, match="exploration_bonus > 0 is not batched over seeds.*"
                                         "one seed per process"):  # fmt: skip
        train_seeds(cfgs, outs, progress=False, batched=True)
