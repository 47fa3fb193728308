"""The latent dynamics models of {eq}`eq-latent-transition` – {eq}`eq-inverse` (book chapter 3),
each conditioned on a latent task variable z.

- state encoder φ: S → R^d
- probabilistic latent transition P̂(· | φ(s), z, a) = N(μ, σ), σ ∈ (1e-4, 10)
- latent reward R̂(φ(s'), z, a)
- inverse dynamics I(φ(s), z, φ(s'), z') → â
"""

from __future__ import annotations

import torch
from torch import nn

from simbelief_edu.nets import mlp

SIGMA_MIN, SIGMA_MAX = 1e-4, 10.0


class StateEncoder(nn.Module):
    """φ: an ELU MLP [128, 64] from the state to a d-dimensional latent state."""

    def __init__(self, obs_dim: int, state_latent_dim: int = 32):
        super().__init__()
        self.net = mlp([obs_dim, 128, 64, state_latent_dim], nn.ELU)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.net(obs)


class LatentTransition(nn.Module):
    """P̂(· | φ(s), z, a) = N(μ, diag σ²): a LayerNorm MLP; σ by a scaled sigmoid."""

    def __init__(self, state_latent_dim: int, task_latent_dim: int, act_dim: int, hidden=128):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(state_latent_dim + task_latent_dim + act_dim, hidden),
            nn.LayerNorm(hidden),
            nn.ReLU(),
        )
        self.mu = nn.Linear(hidden, state_latent_dim)
        self.sigma = nn.Linear(hidden, state_latent_dim)

    def forward(self, phi_s, z, a) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.body(torch.cat([phi_s, z, a], -1))
        sigma = SIGMA_MIN + (SIGMA_MAX - SIGMA_MIN) * torch.sigmoid(self.sigma(x))
        return self.mu(x), sigma


class LatentReward(nn.Module):
    """R̂(φ(s'), z, a): the reward predicted in latent space."""

    def __init__(self, state_latent_dim: int, task_latent_dim: int, act_dim: int, hidden=64):
        super().__init__()
        self.net = mlp([state_latent_dim + task_latent_dim + act_dim, hidden, hidden, 1])

    def forward(self, phi_next, z, a) -> torch.Tensor:
        return self.net(torch.cat([phi_next, z, a], -1))


class InverseDynamics(nn.Module):
    """I(φ(s), z, φ(s'), z') → â: which action led from s to s' in the task believed to be z."""

    def __init__(self, state_latent_dim: int, task_latent_dim: int, act_dim: int, hidden=64):
        super().__init__()
        self.net = mlp([2 * (state_latent_dim + task_latent_dim), hidden, hidden, act_dim])

    def forward(self, phi_s, z, phi_next, z_next) -> torch.Tensor:
        return self.net(torch.cat([phi_s, z, phi_next, z_next], -1))


class LatentDynamics(nn.Module):
    """The four models above, shared across tasks; ``inverse`` is None when the agent runs
    without inverse dynamics (config ``inverse_dynamics=False``)."""

    def __init__(self, obs_dim: int, act_dim: int, cfg) -> None:
        super().__init__()
        d_s, d_m = cfg.state_latent_dim, cfg.task_latent_dim
        self.phi = StateEncoder(obs_dim, d_s)
        self.transition = LatentTransition(d_s, d_m, act_dim)
        self.reward = LatentReward(d_s, d_m, act_dim)
        self.inverse = InverseDynamics(d_s, d_m, act_dim) if cfg.inverse_dynamics else None
