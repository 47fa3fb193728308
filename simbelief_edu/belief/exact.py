"""The exact belief of Point-Robot-Sparse and a policy on the hyper-state (book chapters 1, 2).

Point-Robot-Sparse knows its task family: the dynamics are the same for every task and the
reward is 1 within ``goal_radius`` of a goal on the upper half circle, 0 elsewhere. So the
belief b_t = p(M | τ_{:t}) of {eq}`eq-belief` can be computed exactly, on a grid of goal angles.
``ExactGoalBelief`` has the agent interface (``initial_hidden``, ``step``, ``features``), so
``run_meta_episodes`` carries it along like a learnt belief; ``Explorer`` has the policy
interface (``act``) and acts on the hyper-state (s_t, b_t): it explores, then exploits.
"""

from __future__ import annotations

import numpy as np
import torch

ANGLES = np.linspace(0.0, np.pi, 181)  # the grid of goal angles θ: the prior's support
GOALS = torch.tensor(np.stack([np.cos(ANGLES), np.sin(ANGLES)], -1), dtype=torch.float32)


class ExactGoalBelief:
    """b_t(θ) on the grid ``GOALS``: a uniform prior and Bayes' rule with the 0/1 reward.

    The likelihood of a transition is ``1 - eta`` for a goal that explains the observed
    reward and ``eta`` for one that does not (``eta = 0`` is the exact 0/1 likelihood; a
    small ``eta`` keeps the posterior defined when the true goal lies between grid points).
    The hidden state is the belief itself, ``[n, len(GOALS)]``. It is exact for the default
    Point-Robot family only: a 0/1 reward and task-independent dynamics (not ``reward="dense"``
    or ``mirrored_fraction > 0``, chapter 10).
    """

    feature_dim = len(GOALS)

    def __init__(self, goal_radius: float, eta: float = 1e-3) -> None:
        self.goal_radius, self.eta = goal_radius, eta

    def initial_hidden(self, n: int) -> torch.Tensor:
        """b_0 = p(M): uniform over the grid, for ``n`` meta-episodes."""
        return torch.full((n, len(GOALS)), 1.0 / len(GOALS))

    def step(
        self, b: torch.Tensor, next_obs: torch.Tensor, act: torch.Tensor, rew: torch.Tensor
    ) -> torch.Tensor:
        """Bayes' rule ({eq}`eq-belief`): b_{t+1}(θ) ∝ p(r_{t+1} | s_{t+1}, θ) b_t(θ).

        ``next_obs`` [n, 2], ``rew`` [n, 1]; ``act`` is unused (the dynamics do not depend on
        the task, so they carry no information about it).
        """
        explained = (torch.cdist(next_obs, GOALS) <= self.goal_radius).float() == rew
        posterior = b * torch.where(explained, 1.0 - self.eta, self.eta)
        return posterior / posterior.sum(-1, keepdim=True)

    def features(self, b: torch.Tensor) -> torch.Tensor:
        """What the policy sees of the belief: all of it."""
        return b


class Explorer:
    """Head for the nearest most-probable goal of the belief, with Gaussian action noise.

    The most probable goals are those with at least half the largest posterior mass. Before
    any reward that makes the point sweep the half circle, ruling out goals as it passes;
    after one it goes straight back to where the reward came. Not Bayes-optimal, but it
    explores first and exploits after, as a Bayes-optimal policy must (book chapter 1).
    """

    def __init__(self, rng: np.random.Generator, max_step: float, noise: float = 0.3) -> None:
        self.rng, self.max_step, self.noise = rng, max_step, noise

    def act(self, x: torch.Tensor, deterministic: bool = False) -> torch.Tensor:
        """Actions in [-1, 1]^2 for hyper-states ``x = [s_t, b_t]`` [n, 2 + len(GOALS)]: the
        step towards the target, in units of ``max_step`` (full speed when farther than one
        step), plus Gaussian noise of standard deviation ``noise`` unless ``deterministic``."""
        s, b = x[:, :2], x[:, 2:]
        likely = b >= 0.5 * b.max(-1, keepdim=True).values
        distance = torch.cdist(s, GOALS).masked_fill(~likely, float("inf"))
        target = GOALS[distance.argmin(-1)]
        a = ((target - s) / self.max_step).clamp(-1, 1)
        if not deterministic:
            a = a + self.noise * torch.as_tensor(self.rng.normal(size=a.shape), dtype=torch.float32)
        return a.clamp(-1, 1)
