"""The belief VAE's objective: ELBO_t = E_q[log p(r, s' | m)] − KL(q(m|τ_{:t}) || q(m|τ_{:t−1}))."""

from __future__ import annotations

import torch


def gaussian_kl(
    mu_q: torch.Tensor, logvar_q: torch.Tensor, mu_p: torch.Tensor, logvar_p: torch.Tensor
) -> torch.Tensor:
    """KL(N(mu_q, exp(logvar_q)) || N(mu_p, exp(logvar_p))) for diagonal Gaussians.

    The KL term of ELBO_t (method.md §2.1). Inputs ``[..., d]``; sums over ``d``.
    """
    ratio = (logvar_q.exp() + (mu_q - mu_p) ** 2) / logvar_p.exp()
    return 0.5 * (logvar_p - logvar_q + ratio - 1.0).sum(-1)
