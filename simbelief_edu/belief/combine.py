"""Combining the specific belief N(μ, σ²) and the latent belief N(μ̃, σ̃²) ({eq}`eq-combine`)."""

from __future__ import annotations

import torch


def combine_beliefs(
    mu: torch.Tensor,
    logvar: torch.Tensor,
    mu_tilde: torch.Tensor,
    logvar_tilde: torch.Tensor,
    w1: float | torch.Tensor = 0.5,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Moment-match the mixture w₁ N(μ, σ²) + w₂ N(μ̃, σ̃²), w₂ = 1 − w₁:

        μ_c = w₁ μ + w₂ μ̃,   σ_c² = w₁(σ² + μ²) + w₂(σ̃² + μ̃²) − μ_c².

    Returns (μ_c, log σ_c²).
    """
    w2 = 1.0 - w1
    mu_c = w1 * mu + w2 * mu_tilde
    second_moment = w1 * (logvar.exp() + mu**2) + w2 * (logvar_tilde.exp() + mu_tilde**2)
    var_c = (second_moment - mu_c**2).clamp(min=1e-8)
    return mu_c, var_c.log()
