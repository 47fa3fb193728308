"""The exact goal belief of Point-Robot-Sparse and the belief-driven explorer (book ch. 1, 2)."""

import numpy as np
import pytest
import torch

from simbelief_edu.belief.exact import ANGLES, GOALS, ExactGoalBelief, Explorer

RADIUS, ETA = 0.3, 1e-3


def near(p: torch.Tensor) -> torch.Tensor:
    """Mask [len(GOALS)] of the grid goals within the goal radius of position p [2]."""
    return (GOALS - p).norm(dim=-1) <= RADIUS


def update(belief: ExactGoalBelief, b: torch.Tensor, p, r: float) -> torch.Tensor:
    """One step of one meta-episode: the point arrives at p and gets reward r."""
    return belief.step(
        b, torch.tensor([p], dtype=torch.float32), torch.zeros(1, 2), torch.tensor([[r]])
    )


def test_prior_is_uniform_and_posterior_stays_normalised():
    belief = ExactGoalBelief(RADIUS, ETA)
    b = belief.initial_hidden(3)
    assert b.shape == (3, len(GOALS)) and torch.allclose(b, torch.full_like(b, 1 / len(GOALS)))
    rng = np.random.default_rng(0)
    for _ in range(30):
        next_obs = torch.tensor(rng.uniform(-1.2, 1.2, size=(3, 2)), dtype=torch.float32)
        rew = torch.tensor(rng.random((3, 1)) < 0.2, dtype=torch.float32)
        b = belief.step(b, next_obs, torch.zeros(3, 2), rew)
        assert torch.allclose(b.sum(-1), torch.ones(3), atol=1e-5)
        assert (b > 0).all()
    assert torch.equal(belief.features(b), b)


def test_zero_reward_rules_out_goals_near_the_point_only():
    belief = ExactGoalBelief(RADIUS, ETA)
    b0 = belief.initial_hidden(1)
    p = [np.cos(1.0), np.sin(1.0)]  # on the circle: the widest arc of goals is ruled out
    b1 = update(belief, b0, p, 0.0)[0]
    ruled_out = near(torch.tensor(p))
    assert 10 < ruled_out.sum() < 40
    ratio = b1 / b0[0]
    # ruled-out goals lose a factor eta / (1 - eta) against the others ...
    assert torch.allclose(
        ratio[ruled_out] / ratio[~ruled_out].mean(), torch.tensor(ETA / (1 - ETA))
    )
    # ... and the others keep their ratios to each other (all equal, from a uniform prior)
    assert torch.allclose(ratio[~ruled_out], ratio[~ruled_out][0].expand((~ruled_out).sum()))
    assert b1[ruled_out].sum() < 2 * ETA


def test_reward_concentrates_the_mass_on_goals_near_the_point():
    belief = ExactGoalBelief(RADIUS, ETA)
    p = torch.tensor([np.cos(2.0), np.sin(2.0)])
    b1 = update(belief, belief.initial_hidden(1), p.tolist(), 1.0)[0]
    assert b1[near(p)].sum() > 0.99
    assert torch.allclose(b1[near(p)], b1[near(p)][0].expand(near(p).sum()))


def test_without_rewards_the_belief_only_loses_mass_near_visited_points():
    belief = ExactGoalBelief(RADIUS, ETA)
    rng = np.random.default_rng(1)
    b = b0 = belief.initial_hidden(1)
    visited = torch.zeros(len(GOALS), dtype=torch.bool)
    out = [(r * np.cos(0.8), r * np.sin(0.8)) for r in np.arange(0.1, 1.05, 0.1)]
    along = [(np.cos(phi), np.sin(phi)) for phi in np.arange(0.8, 1.6, 0.1)]  # along the arc
    path = np.array(out + along) + rng.normal(scale=0.02, size=(len(out) + len(along), 2))
    for position in path:  # out to the circle, then along it, never rewarded
        b = update(belief, b, position.tolist(), 0.0)
        visited |= near(torch.tensor(position, dtype=torch.float32))
    assert visited.any() and not visited.all()
    b, b0 = b[0], b0[0]
    assert (b[~visited] >= b0[~visited]).all()  # goals never visited gain (or keep) mass
    assert (b[visited] < b0[visited] * 10 * ETA).all()  # every visited one loses almost all
    assert torch.allclose(b[~visited], b[~visited][0].expand((~visited).sum()))


def test_explorer_actions_are_bounded():
    explorer = Explorer(np.random.default_rng(0), max_step=0.1, noise=20.0)
    rng = np.random.default_rng(1)
    b = torch.tensor(rng.dirichlet(np.ones(len(GOALS)), size=64), dtype=torch.float32)
    s = torch.tensor(rng.uniform(-2, 2, size=(64, 2)), dtype=torch.float32)
    a = explorer.act(torch.cat([s, b], -1))
    assert a.shape == (64, 2) and a.abs().max() <= 1.0 and a.abs().max() == 1.0


@pytest.mark.parametrize("k", [0, 60, 180])
def test_explorer_moves_toward_a_certain_goal(k):
    explorer = Explorer(np.random.default_rng(0), max_step=0.1, noise=0.0)
    b = torch.full((1, len(GOALS)), 1e-6)
    b[0, k] = 1.0
    s = torch.tensor([[0.3, 0.2]])
    a = explorer.act(torch.cat([s, b], -1), deterministic=True)
    goal = torch.tensor([np.cos(ANGLES[k]), np.sin(ANGLES[k])], dtype=torch.float32)
    assert torch.allclose(a[0], ((goal - s[0]) / 0.1).clamp(-1, 1))  # in units of max_step
    assert (goal - s[0] - 0.1 * a[0]).norm() < (goal - s[0]).norm() - 0.09
