"""The latent task belief b̃_t and the latent task-belief metric (method.md §2.3).

For tasks i, j at matched time steps, with z ~ b̃ and the same transition (s, a, s'):

    d(b̃_i, b̃_j) = |R̂(φ(s'), z_i, a) − R̂(φ(s'), z_j, a)|
                   + γ · W₂(P̂(·|φ(s), z_i, a), P̂(·|φ(s), z_j, a))
                   + ‖I(φ(s), z_i, φ(s'), z'_i) − I(φ(s), z_j, φ(s'), z'_j)‖₁

and the metric loss makes distances between beliefs' samples match it:
L_sim = E_{i≠j} (‖z_i − z_j‖₁ − d(b̃_i, b̃_j))², with d a fixed target.
"""

from __future__ import annotations

import torch
from torch import nn

from simbelief_edu.latent.models import InverseDynamics, LatentReward, LatentTransition


class LatentBeliefHead(nn.Module):
    """b̃_t = N(μ̃_t, σ̃_t²): a second head (MLP, hidden 64) on the GRU's hidden state h_t."""

    def __init__(self, gru_hidden: int, task_latent_dim: int, hidden: int = 64):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(gru_hidden, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, task_latent_dim)
        self.logvar = nn.Linear(hidden, task_latent_dim)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.body(h)
        return self.mu(x), self.logvar(x)


def w2_diag_gaussian(mu1, sigma1, mu2, sigma2) -> torch.Tensor:
    """W₂(N(μ₁, diag σ₁²), N(μ₂, diag σ₂²)) = sqrt(‖μ₁ − μ₂‖² + ‖σ₁ − σ₂‖²) (method.md §2.3)."""
    sq = (mu1 - mu2).pow(2).sum(-1) + (sigma1 - sigma2).pow(2).sum(-1)
    return sq.clamp(min=1e-12).sqrt()


def latent_belief_metric(
    transition: LatentTransition,
    reward: LatentReward,
    inverse: InverseDynamics,
    phi_s: torch.Tensor,
    act: torch.Tensor,
    phi_next: torch.Tensor,
    z_i: torch.Tensor,
    z_j: torch.Tensor,
    z_next_i: torch.Tensor,
    z_next_j: torch.Tensor,
    gamma: float,
) -> torch.Tensor:
    """d(b̃_i, b̃_j) of method.md §2.3 for a batch of matched pairs; shape [...] (no last dim)."""
    reward_term = (reward(phi_next, z_i, act) - reward(phi_next, z_j, act)).abs().squeeze(-1)
    mu_i, sigma_i = transition(phi_s, z_i, act)
    mu_j, sigma_j = transition(phi_s, z_j, act)
    transition_term = w2_diag_gaussian(mu_i, sigma_i, mu_j, sigma_j)
    a_i = inverse(phi_s, z_i, phi_next, z_next_i)
    a_j = inverse(phi_s, z_j, phi_next, z_next_j)
    inverse_term = (a_i - a_j).abs().sum(-1)
    return reward_term + gamma * transition_term + inverse_term


def metric_loss(z_i: torch.Tensor, z_j: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """L_sim = E (‖z_i − z_j‖₁ − d(b̃_i, b̃_j))², the metric d held fixed (stop-gradient)."""
    return ((z_i - z_j).abs().sum(-1) - d.detach()).pow(2).mean()
