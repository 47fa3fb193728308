"""Soft actor-critic (Haarnoja et al., 2018) on the augmented state x = [s, belief features].

Twin Q-networks with target copies (Polyak τ), a tanh-Gaussian policy, and a fixed or
automatically tuned entropy temperature α ({eq}`eq-sac-target`, book chapter 6). The belief
features arrive detached, so RL gradients never reach the belief networks.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from simbelief_edu.device import standard_normal
from simbelief_edu.nets import mlp

LOG_STD_MIN, LOG_STD_MAX = -5.0, 2.0


class Actor(nn.Module):
    """π(a | x): a tanh-squashed Gaussian whose mean and log-std come from an MLP."""

    def __init__(self, input_dim: int, act_dim: int, hidden: int):
        super().__init__()
        self.body = nn.Sequential(mlp([input_dim, hidden, hidden]), nn.ReLU())
        self.mean = nn.Linear(hidden, act_dim)
        self.log_std = nn.Linear(hidden, act_dim)

    def forward(
        self, x: torch.Tensor, eps: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Sample a ~ π(·|x) with the reparameterisation trick; return (a, log π(a|x)).
        ``eps`` [B, act_dim]: the noise ε ~ N(0, I), drawn here when not given."""
        h = self.body(x)
        mean = self.mean(h)
        log_std = self.log_std(h).clamp(LOG_STD_MIN, LOG_STD_MAX)
        eps = standard_normal(mean) if eps is None else eps
        u = mean + log_std.exp() * eps
        a = torch.tanh(u)
        # log N(u; mean, std) − Σ log(1 − tanh(u)²), the latter in a stable form
        log_prob = (-0.5 * ((u - mean) / log_std.exp()).pow(2) - log_std).sum(-1)
        log_prob = log_prob - 0.5 * math.log(2 * math.pi) * mean.shape[-1]
        log_prob = log_prob - (2 * (math.log(2) - u - F.softplus(-2 * u))).sum(-1)
        return a, log_prob

    def deterministic(self, x: torch.Tensor) -> torch.Tensor:
        """The mean action tanh(μ(x)), used at meta-test time."""
        return torch.tanh(self.mean(self.body(x)))


class TwinQ(nn.Module):
    """Two independent Q-networks Q_1(x, a), Q_2(x, a)."""

    def __init__(self, input_dim: int, act_dim: int, hidden: int):
        super().__init__()
        self.q1 = mlp([input_dim + act_dim, hidden, hidden, 1])
        self.q2 = mlp([input_dim + act_dim, hidden, hidden, 1])

    def forward(self, x: torch.Tensor, a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        xa = torch.cat([x, a], -1)
        return self.q1(xa).squeeze(-1), self.q2(xa).squeeze(-1)


def critic_loss(q1, q2, target_q) -> torch.Tensor:
    """L_Q = E[(Q_1 − y)² + (Q_2 − y)²], y the soft Bellman target."""
    return F.mse_loss(q1, target_q) + F.mse_loss(q2, target_q)


def soft_bellman_target(rew, next_q1, next_q2, next_log_prob, alpha, gamma) -> torch.Tensor:
    """y = r + γ (min(Q̄_1, Q̄_2)(x', a') − α log π(a'|x')), a' ~ π(·|x'). Meta-episodes end
    only by the time limit, so every transition bootstraps."""
    return rew + gamma * (torch.min(next_q1, next_q2) - alpha * next_log_prob)


def actor_loss(q1, q2, log_prob, alpha) -> torch.Tensor:
    """L_π = E[α log π(a|x) − min(Q_1, Q_2)(x, a)], a ~ π(·|x)."""
    return (alpha * log_prob - torch.min(q1, q2)).mean()


def alpha_loss(log_alpha, log_prob, target_entropy) -> torch.Tensor:
    """L_α = E[−log α (log π(a|x) + H̄)]: raises α when the entropy is below its target H̄."""
    return -(log_alpha * (log_prob.detach() + target_entropy)).mean()


class SAC(nn.Module):
    """The networks, targets and optimisers of SAC, and one update step."""

    def __init__(
        self,
        input_dim: int,
        act_dim: int,
        hidden: int = 128,
        lr: float = 3e-4,
        gamma: float = 0.99,
        tau: float = 0.005,
        alpha: float = 0.01,
        autotune_alpha: bool = False,
        critic_grad_clip: float = float("inf"),
    ):
        super().__init__()
        self.gamma, self.tau, self.autotune_alpha = gamma, tau, autotune_alpha
        self.critic_grad_clip = critic_grad_clip
        self.actor = Actor(input_dim, act_dim, hidden)
        self.critic = TwinQ(input_dim, act_dim, hidden)
        self.critic_target = TwinQ(input_dim, act_dim, hidden)
        self.critic_target.load_state_dict(self.critic.state_dict())
        self.critic_target.requires_grad_(False)
        self.log_alpha = nn.Parameter(torch.tensor(math.log(alpha)), requires_grad=autotune_alpha)
        self.target_entropy = -float(act_dim)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=lr)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=lr)
        self.alpha_opt = torch.optim.Adam([self.log_alpha], lr=lr)

    def optimizers(self) -> tuple[torch.optim.Optimizer, ...]:
        """The actor's, the critics' and α's optimisers (saved and loaded in this order)."""
        return self.actor_opt, self.critic_opt, self.alpha_opt

    @property
    def alpha(self) -> torch.Tensor:
        return self.log_alpha.exp().detach()

    @torch.no_grad()
    def act(self, x: torch.Tensor, deterministic: bool = False) -> torch.Tensor:
        return self.actor.deterministic(x) if deterministic else self.actor(x)[0]

    def critic_objective(self, x, act, rew, next_x, eps_next=None) -> torch.Tensor:
        """L_Q on a batch [N, ·] (``eps_next``: the policy noise at x', drawn when None)."""
        with torch.no_grad():
            next_a, next_log_prob = self.actor(next_x, eps_next)
            next_q1, next_q2 = self.critic_target(next_x, next_a)
            y = soft_bellman_target(rew, next_q1, next_q2, next_log_prob, self.alpha, self.gamma)
        q1, q2 = self.critic(x, act)
        return critic_loss(q1, q2, y)

    def actor_objective(self, x, eps=None) -> tuple[torch.Tensor, torch.Tensor]:
        """(L_π, log π(a|x)) on a batch [N, ·], a ~ π(·|x) with noise ``eps`` (None: drawn)."""
        a, log_prob = self.actor(x, eps)
        return actor_loss(*self.critic(x, a), log_prob, self.alpha), log_prob

    def update(self, x, act, rew, next_x) -> dict[str, float]:
        """One gradient step on Q, π (and α): batches [N, ·], rewards [N]."""
        loss_q = self.critic_objective(x, act, rew, next_x)
        self.critic_opt.zero_grad()
        loss_q.backward()
        if self.critic_grad_clip < float("inf"):  # the authors clamp each gradient value
            nn.utils.clip_grad_value_(self.critic.parameters(), self.critic_grad_clip)
        self.critic_opt.step()

        self.critic.requires_grad_(False)
        loss_pi, log_prob = self.actor_objective(x)
        self.critic.requires_grad_(True)
        self.actor_opt.zero_grad()
        loss_pi.backward()
        self.actor_opt.step()

        if self.autotune_alpha:
            loss_alpha = alpha_loss(self.log_alpha, log_prob, self.target_entropy)
            self.alpha_opt.zero_grad()
            loss_alpha.backward()
            self.alpha_opt.step()

        with torch.no_grad():
            for p, p_target in zip(
                self.critic.parameters(), self.critic_target.parameters(), strict=True
            ):
                p_target.lerp_(p, self.tau)
        return {"critic": loss_q.item(), "actor": loss_pi.item()}
