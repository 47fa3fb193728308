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


def reward_log_likelihood_loss(
    decoder: torch.nn.Module,
    obs: torch.Tensor,
    act: torch.Tensor,
    rew: torch.Tensor,
    next_obs: torch.Tensor,
    m: torch.Tensor,
    t_index: torch.Tensor,
) -> torch.Tensor:
    """−E_q[log p(r | s, a, s', m)] up to constants (a unit-variance Gaussian: squared error),
    decoding only the past (method.md §2.1, ``decode_only_past``).

    ``obs, act, rew, next_obs``: transitions [T, B, ·]; ``m``: one sample from each of K
    beliefs [K, B, d], the beliefs after ``t_index`` [K] transitions (all T+1 of them, or a
    random subset on long horizons). The belief after t transitions decodes transitions
    0 … t−1; the result sums the squared errors over those pairs, as the authors' code does
    (method.md: "summed over time steps and the decoding window"), and averages over the batch.
    Averaging over the pairs instead would weaken the reward term against the KL (summed over
    t) by the number of pairs, ~800 on Point-Robot: the belief would barely learn.
    """
    T, K = obs.shape[0], m.shape[0]

    def expand(x: torch.Tensor) -> torch.Tensor:  # [T, B, ·] → [K, T, B, ·]
        return x.unsqueeze(0).expand(K, *x.shape)

    m_all = m.unsqueeze(1).expand(K, T, *m.shape[1:])
    pred = decoder(expand(obs), expand(act), expand(next_obs), m_all)
    err = (pred - expand(rew)).pow(2).squeeze(-1)  # [K, T, B]
    past = (torch.arange(T).unsqueeze(0) < t_index.unsqueeze(1)).float().unsqueeze(-1)
    # When only K of the T+1 beliefs are decoded, (T+1)/K makes the sum an unbiased estimate.
    return (err * past).sum() * (T + 1) / (K * obs.shape[1])


def kl_to_previous_belief(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Σ_t KL(q(m|τ_{:t}) || q(m|τ_{:t−1})), with N(0, I) before t = 0 (method.md §2.1).

    ``mu, logvar``: beliefs [T+1, B, d]. Returns the batch mean of the sum over t.
    """
    prev_mu = torch.cat([torch.zeros_like(mu[:1]), mu[:-1]])
    prev_logvar = torch.cat([torch.zeros_like(logvar[:1]), logvar[:-1]])
    return gaussian_kl(mu, logvar, prev_mu, prev_logvar).sum(0).mean()


def elbo_loss(reward_nll: torch.Tensor, kl: torch.Tensor, kl_weight: float = 0.1) -> torch.Tensor:
    """−ELBO as trained: reward weight 1, KL weight 0.1 (method.md §2.1)."""
    return reward_nll + kl_weight * kl
