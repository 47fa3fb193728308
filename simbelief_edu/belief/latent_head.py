"""The latent task belief b̃_t = N(μ̃_t, σ̃_t²) of {eq}`eq-latent-belief` (book chapter 4), and
the KL anchor that keeps it from collapsing ({eq}`eq-anchor`, book chapter 6)."""

from __future__ import annotations

import torch
from torch import nn

from simbelief_edu.belief.elbo import gaussian_kl

LOGVAR_MIN, LOGVAR_MAX = -10.0, 4.0  # the clamp of log σ̃² in the authors' code


class LatentBeliefHead(nn.Module):
    """b̃_t = N(μ̃_t, σ̃_t²): a second head (MLP, hidden 64) on the GRU's hidden state h_t,
    with log σ̃² clamped to [−10, 4]."""

    def __init__(self, gru_hidden: int, task_latent_dim: int, hidden: int = 64):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(gru_hidden, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, task_latent_dim)
        self.logvar = nn.Linear(hidden, task_latent_dim)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.body(h)
        return self.mu(x), self.logvar(x).clamp(LOGVAR_MIN, LOGVAR_MAX)


def anchor_loss(
    mu_tilde: torch.Tensor, logvar_tilde: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor
) -> torch.Tensor:
    """{eq}`eq-anchor`: KL(b̃ ‖ sg(b)), the latent belief pulled towards the (fixed) specific
    belief, averaged over batch elements and latent dimensions as in the authors' code."""
    kl = gaussian_kl(mu_tilde, logvar_tilde, mu.detach(), logvar.detach())  # sums over d
    return kl.mean() / mu.shape[-1]
