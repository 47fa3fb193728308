"""SimBelief (Zhang & Qian, ICLR 2025), method.md §2: the specific belief of the VariBAD
baseline, plus latent dynamics shared across tasks, a latent task belief b̃_t trained by the
latent task-belief metric, and the combination of both beliefs that the policy sees."""

from __future__ import annotations

import torch
from torch import nn

from simbelief_edu.agents.varibad import belief_vae_loss
from simbelief_edu.belief.combine import combine_beliefs
from simbelief_edu.belief.vae import BeliefEncoder, RewardDecoder, reparameterise
from simbelief_edu.latent.losses import inverse_dynamics_loss, latent_reward_loss, transition_nll
from simbelief_edu.latent.models import (
    InverseDynamics,
    LatentReward,
    LatentTransition,
    StateEncoder,
)
from simbelief_edu.metric import LatentBeliefHead, latent_belief_metric, metric_loss


class SimBelief(nn.Module):
    def __init__(self, obs_dim: int, act_dim: int, cfg) -> None:
        super().__init__()
        d_m, d_s = cfg.task_latent_dim, cfg.state_latent_dim
        self.encoder = BeliefEncoder(obs_dim, act_dim, d_m, cfg.gru_hidden)
        self.reward_decoder = RewardDecoder(obs_dim, act_dim, d_m)
        self.latent_head = LatentBeliefHead(cfg.gru_hidden, d_m)
        self.phi = StateEncoder(obs_dim, d_s)
        self.transition = LatentTransition(d_s, d_m, act_dim)
        self.latent_reward = LatentReward(d_s, d_m, act_dim)
        self.inverse = InverseDynamics(d_s, d_m, act_dim)
        self.kl_weight, self.max_elbos = cfg.kl_weight, cfg.max_elbos
        self.gamma, self.metric_weight = cfg.gamma, cfg.metric_weight
        self.feature_dim = 2 * d_m

    def initial_hidden(self, n: int) -> torch.Tensor:
        return self.encoder.initial_hidden(n)

    def step(self, h, next_obs, act, rew) -> torch.Tensor:
        return self.encoder.step(h, next_obs, act, rew)

    def features(self, h: torch.Tensor) -> torch.Tensor:
        """[μ_c, log σ_c²]: the specific and latent beliefs combined (method.md §2.4), equal
        weights w₁ = w₂ = ½ (the default of the authors' configs)."""
        mu, logvar = self.encoder.belief(h)
        mu_tilde, logvar_tilde = self.latent_head(h)
        return torch.cat(combine_beliefs(mu, logvar, mu_tilde, logvar_tilde), -1)

    def loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """−ELBO + L_T + L_R + L_I + λ L_sim on meta-episodes of B distinct tasks [T, B, ·]."""
        obs, act, rew, next_obs = batch["obs"], batch["act"], batch["rew"], batch["next_obs"]
        h = self.encoder(next_obs, act, rew)  # [T+1, B, H]
        loss_vae, logs = belief_vae_loss(
            self.encoder, self.reward_decoder, batch, h, self.kl_weight, self.max_elbos
        )
        # The latent task belief b̃_t and a sample z_t per step; transition t uses z_t, z_{t+1}.
        # h is detached: the GRU learns from the ELBO alone. With shared gradients, the latent
        # losses (L_T above all) washed out the specific belief: on Point-Robot-Sparse it
        # collapsed to its prior (KL 0.000 after 140 iterations, seed 0).
        z = reparameterise(*self.latent_head(h.detach()))  # [T+1, B, d_m]
        z_t, z_next = z[:-1], z[1:]
        phi_s, phi_next = self.phi(obs), self.phi(next_obs)
        logs["transition"] = transition_nll(*self.transition(phi_s, z_t, act), phi_next)
        logs["reward"] = latent_reward_loss(self.latent_reward(phi_next, z_t, act), rew)
        logs["inverse"] = inverse_dynamics_loss(self.inverse(phi_s, z_t, phi_next, z_next), act)
        # pair task i with task B−1−i at matched time steps, on task i's transitions
        i = torch.arange(h.shape[1] // 2)
        j = h.shape[1] - 1 - i
        with torch.no_grad():  # the models' outputs are fixed targets
            d = latent_belief_metric(
                self.transition, self.latent_reward, self.inverse,
                phi_s[:, i], act[:, i], phi_next[:, i],
                z_t[:, i], z_t[:, j], z_next[:, i], z_next[:, j], self.gamma,
            )  # fmt: skip
        logs["metric"] = metric_loss(z_t[:, i], z_t[:, j], d)
        total = loss_vae + logs["transition"] + logs["reward"] + logs["inverse"]
        return total + self.metric_weight * logs["metric"], logs
