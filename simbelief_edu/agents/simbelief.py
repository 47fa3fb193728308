"""SimBelief (Zhang & Qian, ICLR 2025): the specific belief of the VariBAD baseline, plus latent
dynamics shared across tasks, a latent task belief b̃_t shaped by the latent task-belief metric
and anchored to the specific belief, and the combination of both beliefs that the policy sees
(book chapter 6).

Two losses, trained at two places of the loop, as in the authors' code:

- ``loss`` (the belief updates of each iteration): −ELBO of the specific belief, {eq}`eq-elbo`.
- ``latent_loss`` (one step inside every SAC update, on the SAC batch): L_T + L_R + L_I
  ({eq}`eq-latent-transition` – {eq}`eq-inverse`), λ L_sim ({eq}`eq-metric-loss`) and the anchor
  KL(b̃ ‖ sg b) ({eq}`eq-anchor`), on latent beliefs read from stored GRU states.
"""

from __future__ import annotations

import torch
from torch import nn

from simbelief_edu.belief.combine import combine_beliefs
from simbelief_edu.belief.elbo import belief_vae_loss
from simbelief_edu.belief.latent_head import LatentBeliefHead, anchor_loss
from simbelief_edu.belief.vae import BeliefEncoder, RewardDecoder, reparameterise
from simbelief_edu.latent.losses import inverse_dynamics_loss, latent_reward_loss, transition_nll
from simbelief_edu.latent.models import LatentDynamics
from simbelief_edu.metric import LatentTransitionBatch, latent_belief_metric, metric_loss

LOGVAR_C_MIN, LOGVAR_C_MAX = -20.0, 2.0  # the clamp of log σ_c² in the authors' code


class SimBelief(nn.Module):
    def __init__(self, obs_dim: int, act_dim: int, cfg) -> None:
        super().__init__()
        d_m = cfg.task_latent_dim
        self.encoder = BeliefEncoder(obs_dim, act_dim, d_m, cfg.gru_hidden)
        self.reward_decoder = RewardDecoder(obs_dim, act_dim, d_m)
        self.latent_head = LatentBeliefHead(cfg.gru_hidden, d_m)
        self.latent = LatentDynamics(obs_dim, act_dim, cfg)
        self.kl_weight, self.max_elbos = cfg.kl_weight, cfg.max_elbos
        self.metric_gamma, self.metric_weight = cfg.metric_gamma, cfg.metric_weight
        self.anchor_weight, self.train_latent_dynamics = cfg.anchor_weight, cfg.latent_dynamics
        self.feature_dim = 2 * d_m

    def initial_hidden(self, n: int) -> torch.Tensor:
        return self.encoder.initial_hidden(n)

    def step(self, h, next_obs, act, rew) -> torch.Tensor:
        return self.encoder.step(h, next_obs, act, rew)

    def features(self, h: torch.Tensor) -> torch.Tensor:
        """[μ_c, log σ_c²]: the specific and latent beliefs combined ({eq}`eq-combine`) with
        equal weights w₁ = w₂ = ½, log σ_c² clamped to [−20, 2] (the authors' code)."""
        mu, logvar = self.encoder.belief(h)
        mu_c, logvar_c = combine_beliefs(mu, logvar, *self.latent_head(h))
        return torch.cat([mu_c, logvar_c.clamp(LOGVAR_C_MIN, LOGVAR_C_MAX)], -1)

    def loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """−ELBO ({eq}`eq-elbo`) on meta-episodes ``batch`` [T, B, ·]: the specific belief."""
        h = self.encoder(batch["next_obs"], batch["act"], batch["rew"])
        return belief_vae_loss(
            self.encoder, self.reward_decoder, batch, h, self.kl_weight, self.max_elbos
        )

    def latent_loss(
        self, b: dict[str, torch.Tensor], eps: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """L_T + L_R + L_I + λ L_sim + KL(b̃ ‖ sg b) on a SAC batch of N tasks × M transitions.

        ``b``: ``obs, act, next_obs`` [N, M, ·], ``rew`` [N, M], and the stored GRU states
        before and after each transition, ``h, next_h`` [N, M, H] (detached: the GRU learns
        from the ELBO alone). The batch's time steps are shared across tasks (sample m of every
        task is at the same step of its meta-episode), so pairing task i with task N−1−i
        compares the two beliefs at matched time steps. ``eps``: the noise of the samples z,
        z' (two [N, M, d_m] tensors), drawn here when None.
        """
        obs, act, next_obs = b["obs"], b["act"], b["next_obs"]
        mu_tilde, logvar_tilde = self.latent_head(b["h"])
        eps_z, eps_next = (None, None) if eps is None else eps
        z = reparameterise(mu_tilde, logvar_tilde, eps_z)  # [N, M, d_m]
        z_next = reparameterise(*self.latent_head(b["next_h"]), eps_next)
        m = self.latent
        phi_s, phi_next = m.phi(obs), m.phi(next_obs)
        logs: dict[str, torch.Tensor] = {}
        total = obs.new_zeros(())
        if self.train_latent_dynamics:  # the ablation without it keeps the random-init models
            logs["transition"] = transition_nll(*m.transition(phi_s, z, act), phi_next)
            logs["reward"] = latent_reward_loss(m.reward(phi_next, z, act).squeeze(-1), b["rew"])
            total = logs["transition"] + logs["reward"]
            if m.inverse is not None:
                logs["inverse"] = inverse_dynamics_loss(m.inverse(phi_s, z, phi_next, z_next), act)
                total = total + logs["inverse"]
        # pair task i with task N−1−i, on task i's transitions
        i = torch.arange(obs.shape[0] // 2)
        j = obs.shape[0] - 1 - i
        with torch.no_grad():  # the models' outputs are fixed targets
            x = LatentTransitionBatch(phi_s[i], act[i], phi_next[i])
            d = latent_belief_metric(m, x, (z[i], z_next[i]), (z[j], z_next[j]), self.metric_gamma)
        logs["metric"] = metric_loss(z[i], z[j], d)
        logs["anchor"] = anchor_loss(mu_tilde, logvar_tilde, *self.encoder.belief(b["h"]))
        total = total + self.metric_weight * logs["metric"] + self.anchor_weight * logs["anchor"]
        return total, logs

    def latent_param_groups(self) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        """The parameters of the latent step, by learning rate in the authors' code:
        (latent head, φ, inverse model) at 3e-4 and (P̂, R̂) at 1e-3."""
        slow = [*self.latent_head.parameters(), *self.latent.phi.parameters()]
        if self.latent.inverse is not None:
            slow += list(self.latent.inverse.parameters())
        fast = [*self.latent.transition.parameters(), *self.latent.reward.parameters()]
        return slow, fast
