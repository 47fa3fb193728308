"""The latent task-belief metric {eq}`eq-metric` and its loss {eq}`eq-metric-loss` (book
chapter 4).

For tasks i, j at matched time steps, with z ~ b̃ and the same transition (s, a, s'):

    d(b̃_i, b̃_j) = |R̂(φ(s'), z_i, a) − R̂(φ(s'), z_j, a)|
                   + γ_d · W₂(P̂(·|φ(s), z_i, a), P̂(·|φ(s), z_j, a))
                   + ‖I(φ(s), z_i, φ(s'), z'_i) − I(φ(s), z_j, φ(s'), z'_j)‖₁

and the metric loss makes distances between beliefs' samples match it:
L_sim = E_{i≠j} (‖z_i − z_j‖₁ − d(b̃_i, b̃_j))², with d a fixed target.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from simbelief_edu.latent.models import LatentDynamics


class LatentTransitionBatch(NamedTuple):
    """The transitions (φ(s), a, φ(s')) on which two task beliefs are compared."""

    phi_s: torch.Tensor
    act: torch.Tensor
    phi_next: torch.Tensor


def w2_diag_gaussian(mu1, sigma1, mu2, sigma2) -> torch.Tensor:
    """W₂(N(μ₁, diag σ₁²), N(μ₂, diag σ₂²)) = sqrt(‖μ₁ − μ₂‖² + ‖σ₁ − σ₂‖²), the transition
    term of {eq}`eq-metric`."""
    sq = (mu1 - mu2).pow(2).sum(-1) + (sigma1 - sigma2).pow(2).sum(-1)
    return sq.clamp(min=1e-12).sqrt()


def latent_belief_metric(
    models: LatentDynamics,
    x: LatentTransitionBatch,
    z_i: tuple[torch.Tensor, torch.Tensor],
    z_j: tuple[torch.Tensor, torch.Tensor],
    gamma: float,
) -> torch.Tensor:
    """d(b̃_i, b̃_j) of {eq}`eq-metric` for a batch of matched pairs; shape [...] (no last dim).

    ``z_i = (z_t, z_{t+1})``: samples of task i's latent belief before and after transition
    ``x``; ``z_j`` likewise for task j at the same time steps. Without inverse dynamics
    (``models.inverse is None``) the inverse term is left out.
    """
    (zi, zi_next), (zj, zj_next) = z_i, z_j
    reward = models.reward
    d = (reward(x.phi_next, zi, x.act) - reward(x.phi_next, zj, x.act)).abs().squeeze(-1)
    mu_i, sigma_i = models.transition(x.phi_s, zi, x.act)
    mu_j, sigma_j = models.transition(x.phi_s, zj, x.act)
    d = d + gamma * w2_diag_gaussian(mu_i, sigma_i, mu_j, sigma_j)
    if models.inverse is not None:
        a_i = models.inverse(x.phi_s, zi, x.phi_next, zi_next)
        a_j = models.inverse(x.phi_s, zj, x.phi_next, zj_next)
        d = d + (a_i - a_j).abs().sum(-1)
    return d


def metric_loss(z_i: torch.Tensor, z_j: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """L_sim of {eq}`eq-metric-loss`: E (‖z_i − z_j‖₁ − d(b̃_i, b̃_j))², d held fixed."""
    return ((z_i - z_j).abs().sum(-1) - d.detach()).pow(2).mean()
