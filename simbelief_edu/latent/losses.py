"""Training losses of the latent dynamics models: L_T, L_R, L_I
({eq}`eq-latent-transition`–{eq}`eq-inverse`)."""

from __future__ import annotations

import torch


def transition_nll(mu: torch.Tensor, sigma: torch.Tensor, phi_next: torch.Tensor) -> torch.Tensor:
    """L_T = E[½((φ(s') − μ)/σ)² + log σ], with φ(s') a fixed (stop-gradient) target; the
    expectation runs over samples and latent dimensions (as in DBC), so its scale does not
    grow with dim φ."""
    target = phi_next.detach()
    return (0.5 * ((target - mu) / sigma).pow(2) + sigma.log()).mean()


def latent_reward_loss(r_hat: torch.Tensor, rew: torch.Tensor) -> torch.Tensor:
    """L_R = E[(R̂(φ(s'), z, a) − r)²]."""
    return (r_hat - rew).pow(2).mean()


def inverse_dynamics_loss(a_hat: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
    """L_I = E[‖I(φ(s), z, φ(s'), z') − a‖₁]."""
    return (a_hat - act).abs().sum(-1).mean()
