"""The VariBAD-style baseline (Zintgraf et al., 2020; off-policy as in BOReL): the specific
task belief alone. The policy sees [s, μ_t, log σ²_t]."""

from __future__ import annotations

import torch
from torch import nn

from simbelief_edu.belief.elbo import belief_vae_loss
from simbelief_edu.belief.vae import BeliefEncoder, RewardDecoder


class VariBAD(nn.Module):
    def __init__(self, obs_dim: int, act_dim: int, cfg) -> None:
        super().__init__()
        self.encoder = BeliefEncoder(obs_dim, act_dim, cfg.task_latent_dim, cfg.gru_hidden)
        self.reward_decoder = RewardDecoder(obs_dim, act_dim, cfg.task_latent_dim)
        self.kl_weight, self.max_elbos = cfg.kl_weight, cfg.max_elbos
        self.feature_dim = 2 * cfg.task_latent_dim

    def initial_hidden(self, n: int) -> torch.Tensor:
        return self.encoder.initial_hidden(n)

    def step(self, h, next_obs, act, rew) -> torch.Tensor:
        return self.encoder.step(h, next_obs, act, rew)

    def features(self, h: torch.Tensor) -> torch.Tensor:
        """[μ_t, log σ²_t] of the specific belief."""
        return torch.cat(self.encoder.belief(h), -1)

    def loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """−ELBO ({eq}`eq-elbo`) on meta-episodes ``batch`` [T, B, ·]."""
        h = self.encoder(batch["next_obs"], batch["act"], batch["rew"])
        return belief_vae_loss(
            self.encoder, self.reward_decoder, batch, h, self.kl_weight, self.max_elbos
        )
