"""The belief VAE's objective, the ELBO of {eq}`eq-elbo` (book chapter 2):

    ELBO_t = E_q[log p(r_{1:T} | m)] − KL(q(m | τ_{:t}) ‖ q(m | τ_{:t−1})),

summed over the beliefs t = 0 … T of a meta-episode.
"""

from __future__ import annotations

import torch

from simbelief_edu.belief.vae import BeliefEncoder, RewardDecoder, reparameterise


def gaussian_kl(
    mu_q: torch.Tensor, logvar_q: torch.Tensor, mu_p: torch.Tensor, logvar_p: torch.Tensor
) -> torch.Tensor:
    """KL(N(mu_q, exp(logvar_q)) || N(mu_p, exp(logvar_p))) for diagonal Gaussians.

    The KL term of {eq}`eq-elbo`. Inputs ``[..., d]``; sums over ``d``.
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
    """−E_q[log p(r_{1:T} | m)] of {eq}`eq-elbo` up to constants (a unit-variance Gaussian:
    squared error), summed over the decoded beliefs.

    ``obs, act, rew, next_obs``: a meta-episode's transitions [T, B, ·]; ``m``: one sample from
    each of K beliefs [K, B, d], the beliefs after ``t_index`` [K] transitions (all T+1 of them,
    or a random subset on long horizons). Each belief decodes the rewards of the *whole*
    meta-episode, past and future, as in VariBAD: a belief that has not yet seen the goal must
    still account for where the rewards will come. The squared errors are averaged over the T
    positions and summed over the beliefs, the reduction of the authors' code (there each
    belief's error is averaged over the decoded positions, then summed over beliefs; their
    ``decode_only_past`` branch slices the belief axis after that average, so it does not
    restrict decoding to the past). The batch is averaged.
    """
    T, K = obs.shape[0], m.shape[0]
    # transitions [1, T, B, ·] and beliefs [K, 1, B, d] broadcast to K × T decodings
    pred = decoder(obs[None], act[None], next_obs[None], m[:, None])  # [K, T, B, 1]
    err = (pred.squeeze(-1) - rew.squeeze(-1)).pow(2)  # [K, T, B]
    # When only K of the T+1 beliefs are decoded, (T+1)/K makes the sum an unbiased estimate.
    return err.mean(1).sum(0).mean() * (T + 1) / K


def kl_to_previous_belief(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Σ_t KL(q(m|τ_{:t}) || q(m|τ_{:t−1})) of {eq}`eq-elbo`, with N(0, I) before t = 0.

    ``mu, logvar``: beliefs [T+1, B, d]. Returns the batch mean of the sum over t.
    """
    prev_mu = torch.cat([torch.zeros_like(mu[:1]), mu[:-1]])
    prev_logvar = torch.cat([torch.zeros_like(logvar[:1]), logvar[:-1]])
    return gaussian_kl(mu, logvar, prev_mu, prev_logvar).sum(0).mean()


def elbo_loss(reward_nll: torch.Tensor, kl: torch.Tensor, kl_weight: float = 0.1) -> torch.Tensor:
    """−ELBO of {eq}`eq-elbo` as trained: reward weight 1, KL weight 0.1."""
    return reward_nll + kl_weight * kl


def belief_vae_loss(
    encoder: BeliefEncoder,
    decoder: RewardDecoder,
    batch: dict[str, torch.Tensor],
    h: torch.Tensor,
    kl_weight: float,
    max_elbos: int,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """−ELBO ({eq}`eq-elbo`) on meta-episodes ``batch`` ([T, B, ·]) with hidden states
    ``h`` [T+1, B, H]; at most ``max_elbos`` random belief time steps are decoded."""
    mu, logvar = encoder.belief(h)  # [T+1, B, d]
    t_index = torch.arange(h.shape[0])
    if h.shape[0] > max_elbos:
        t_index = torch.randperm(h.shape[0])[:max_elbos].sort().values
    m = reparameterise(mu[t_index], logvar[t_index])
    nll = reward_log_likelihood_loss(
        decoder, batch["obs"], batch["act"], batch["rew"], batch["next_obs"], m, t_index
    )
    kl = kl_to_previous_belief(mu, logvar)
    return elbo_loss(nll, kl, kl_weight), {"reward_nll": nll, "kl": kl}
