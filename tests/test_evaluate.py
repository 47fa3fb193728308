"""Tests of simbelief_edu.evaluate: per-episode success rules and metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from simbelief_edu.envs import make
from simbelief_edu.evaluate import episode_metrics, episode_success


def cheetah_successes(velocities: np.ndarray, target: float) -> torch.Tensor:
    """Per-step successes of Cheetah-Vel-Sparse's own ``is_success`` along a velocity profile."""
    env = make("cheetah-vel-sparse").unwrapped
    env.reset(seed=0, options={"task": [target]})
    return torch.tensor([env.is_success(v) for v in velocities])


def test_a_cheetah_that_only_accelerates_scores_low():
    """Accelerating through the target speed is 'reach' success but not 'hold' success."""
    accelerating = cheetah_successes(np.linspace(0.0, 6.0, 200), target=1.5)
    assert episode_success(accelerating, "reach").item() == 1.0
    assert episode_success(accelerating, "hold").item() == 0.0
    holding = cheetah_successes(np.r_[np.linspace(0.0, 1.5, 40), np.full(160, 1.6)], 1.5)
    assert episode_success(holding, "hold").item() == 1.0
    assert make("cheetah-vel-sparse").unwrapped.success_rule == "hold"


def test_hold_is_the_fraction_of_the_last_half():
    success = torch.zeros(3, 10, dtype=torch.bool)
    success[0, 5:] = True  # the whole last half
    success[1, 8:] = True  # 2 of its 5 steps
    success[2, :5] = True  # only the first half
    np.testing.assert_allclose(episode_success(success, "hold"), [1.0, 0.4, 0.0])
    np.testing.assert_allclose(episode_success(success, "reach"), [1.0, 1.0, 1.0])


def test_unknown_rule_is_named():
    with pytest.raises(ValueError, match="unknown success rule 'often'"):
        episode_success(torch.zeros(2, 4, dtype=torch.bool), "often")


def test_episode_metrics_split_the_meta_episode():
    """Two episodes of 4 steps: metrics per episode, and the best episode as success_any."""
    rew = torch.tensor([[0, 0, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 1.0]])
    success = rew.bool()
    m = episode_metrics({"rew": rew, "success": success}, 2, "hold")
    assert m["return"] == [1.0, 2.5]
    assert m["success"] == [0.5, 0.75]
    assert m["success_any"] == pytest.approx(0.75)
    m = episode_metrics({"rew": rew, "success": success}, 2, "reach")
    assert m["success"] == [0.5, 1.0] and m["success_any"] == 1.0


def test_doing_nothing_succeeds_only_where_no_motion_is_needed():
    """The zero-action line of the pilots: a standing cheetah holds a slow target's band and
    not a fast one's; the point robot (which starts off the circle) never reaches a goal."""
    from simbelief_edu.evaluate import zero_action_success

    cheetah = make("cheetah-vel-sparse", horizon=20, vel_threshold=0.5)
    held = zero_action_success(cheetah, np.array([[0.1], [2.0], [0.45]], np.float32))
    assert held[0] == 1.0 and held[1] == 0.0 and held[2] > 0.5
    point = make("point-robot-sparse")
    goals = point.unwrapped.task_pools["test"][:5]
    assert (zero_action_success(point, goals) == 0).all()
