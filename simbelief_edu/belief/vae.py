"""The specific task belief q(m | τ_{:t}) = N(μ_t, σ_t²): a GRU encoder and a reward decoder.

{eq}`eq-elbo`. The encoder embeds each transition (s_{t+1}, a_t, r_{t+1}), feeds it to a GRU,
and reads μ_t, log σ²_t from the hidden state h_t. The prior (t = 0) is read from h_0 = 0.
"""

from __future__ import annotations

import torch
from torch import nn

from simbelief_edu.device import standard_normal
from simbelief_edu.nets import mlp


class BeliefEncoder(nn.Module):
    """GRU encoder of the history τ_{:t}; its hidden state h_t parameterises the belief."""

    def __init__(self, obs_dim: int, act_dim: int, latent_dim: int, hidden: int = 128):
        super().__init__()
        self.hidden = hidden
        self.embed_obs = nn.Sequential(nn.Linear(obs_dim, 32), nn.ReLU())
        self.embed_act = nn.Sequential(nn.Linear(act_dim, 16), nn.ReLU())
        self.embed_rew = nn.Sequential(nn.Linear(1, 8), nn.ReLU())
        self.gru = nn.GRU(32 + 16 + 8, hidden)
        self.head_mu = nn.Linear(hidden, latent_dim)
        self.head_logvar = nn.Linear(hidden, latent_dim)

    def initial_hidden(self, batch: int) -> torch.Tensor:
        """h_0 = 0, shape [batch, hidden], on the encoder's device; the prior belief is read
        from it."""
        return torch.zeros(batch, self.hidden, device=self.head_mu.weight.device)

    def _inputs(self, next_obs: torch.Tensor, act: torch.Tensor, rew: torch.Tensor):
        return torch.cat([self.embed_obs(next_obs), self.embed_act(act), self.embed_rew(rew)], -1)

    def step(
        self, h: torch.Tensor, next_obs: torch.Tensor, act: torch.Tensor, rew: torch.Tensor
    ) -> torch.Tensor:
        """One online update h_t → h_{t+1} from the transition (a_t, r_{t+1}, s_{t+1})."""
        x = self._inputs(next_obs, act, rew).unsqueeze(0)  # [1, B, in]
        return self.gru(x, h.unsqueeze(0))[1].squeeze(0)

    def forward(self, next_obs: torch.Tensor, act: torch.Tensor, rew: torch.Tensor) -> torch.Tensor:
        """Hidden states of whole trajectories: inputs [T, B, ·] → h_{0:T} [T+1, B, hidden]."""
        h0 = self.initial_hidden(next_obs.shape[1]).unsqueeze(0)
        out, _ = self.gru(self._inputs(next_obs, act, rew), h0)
        return torch.cat([h0, out], 0)

    def belief(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(μ_t, log σ²_t) of q(m | τ_{:t}) from h_t."""
        return self.head_mu(h), self.head_logvar(h)


class RewardDecoder(nn.Module):
    """p(r_{t+1} | s_t, a_t, s_{t+1}, m): a 64-32 MLP predicting the reward's mean.

    Its first layer is W [s, a, s', m] + b written as W_x [s, a, s'] + W_m m + b, so the
    transition part and the belief part can have different leading shapes that broadcast: K
    beliefs × T transitions cost K + T first-layer products instead of K · T (the ELBO
    decodes every belief on every transition, {eq}`eq-elbo`).
    """

    def __init__(self, obs_dim: int, act_dim: int, latent_dim: int, hidden: int = 64):
        super().__init__()
        self.first_x = nn.Linear(2 * obs_dim + act_dim, hidden)
        self.first_m = nn.Linear(latent_dim, hidden, bias=False)
        self.rest = nn.Sequential(nn.ReLU(), mlp([hidden, 32, 1]))

    def forward(self, obs, act, next_obs, m) -> torch.Tensor:
        """Inputs [..., ·] whose leading shapes broadcast (e.g. [1, T, B, ·] and [K, 1, B, d])."""
        return self.rest(self.first_x(torch.cat([obs, act, next_obs], -1)) + self.first_m(m))


def reparameterise(
    mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor | None = None
) -> torch.Tensor:
    """A sample m = μ + σ ε, ε ~ N(0, I) (drawn here when ``eps`` is None), differentiable in
    μ and log σ²."""
    eps = standard_normal(mu) if eps is None else eps
    return mu + (0.5 * logvar).exp() * eps
