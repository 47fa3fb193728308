"""An exploration bonus on the hyper-state: random network distillation (book chapter 10).

SimBelief's paper compares it with HyperX (Zintgraf et al., 2021, "Exploration in approximate
hyper-state space for meta RL"), each in its own code base; what it leaves open is whether, in
one code base at one budget, an explicit novelty bonus on VariBAD moves it as far as SimBelief's
parts do. The bonus, in the spirit of HyperX: reward the policy for reaching
hyper-states x = [s, belief features] unlike those seen so far. Novelty is measured by random
network distillation (RND; Burda et al., 2019): a fixed, randomly initialised *target* network
f and a *predictor* f̂ trained to match it on the visited hyper-states. The predictor's error

    e(x) = ||f̂(x̄) − f(x̄)||²                    (RND error {eq}`eq-rnd-error`, :func:`rnd_error`)

is small where it has been trained (often visited hyper-states) and large elsewhere, and the
bonus added to SAC's reward of a transition into x' is

    b(x') = β_i · min(e(x') / ē, 10)     (RND bonus {eq}`eq-rnd-bonus`, :func:`normalised_bonus`)
    β_i = β (1 − i / I)                              (annealing, :func:`annealed_weight`)

with β (β_RND in the book) = ``Config.exploration_bonus``, i the training iteration and
I = ``num_iters``. The choices:

- **Input normalisation.** x is standardised by running statistics and clipped to ±5,
  x̄ = clip((x − μ_x) / σ_x, −5, 5), as Burda et al. do: the belief's log-variances and the
  positions live on different scales, and a random network on raw inputs barely varies over
  the inputs that occur. μ_x and σ_x² are exponential moving averages (rate 0.01) of each
  batch's mean and variance (an average of per-batch variances, not a pooled variance).
- **Scale: ē, the mean error of the batch.** e is a non-negative squared error whose size
  drifts by orders of magnitude as the predictor learns, so it must be divided by an estimate
  of its scale for β to mean anything. We divide by its mean over the SAC batch being replayed
  (which samples the hyper-states visited so far) rather than by a standard deviation (Burda
  et al. and HyperX divide by the running std of the intrinsic *return*, which needs whole
  on-policy episodes that an off-policy SAC batch does not have). Then e/ē averages 1 over
  every batch, so **β_i is exactly the mean bonus per step of every batch (before the clip),
  in the reward's own units**, and a hyper-state k times as novel as the batch's average earns
  k·β_i. A running average of the error would lag the predictor as it learns (it is set by
  the untrained predictor's large error), making the bonus smallest early, when β_i is
  largest. Meta-episodes end only by the time limit and every transition bootstraps, so the
  batch-mean part of the bonus, β_i, acts like a constant added to every reward (it shifts all
  Q-values by about β_i/(1 − γ)); what steers the policy is the novelty above the average.
- **Clip at 10** times the mean (HyperX clips its normalised bonus at 10): one very novel
  transition cannot blow up the critic's targets.
- **Annealing.** β_i falls linearly from β to 0 over the run, HyperX's default: exploring
  pays early; by the end of the run the policy learns from the task's reward alone.
- **Training.** One Adam step (learning rate 1e-4, Burda et al.'s and HyperX's) on the mean
  error of the SAC batch's x', taken after that batch's bonus was computed, per SAC update;
  μ_x and σ_x² are updated from the same batch just before.

The bonus is computed when a batch is replayed, with the current predictor, not when the
transition was collected: stored transitions lose their bonus as the predictor learns them.
The belief features in x are those stored in the buffer, recomputed by the current encoder
every ``refresh_beliefs_every`` iterations, so the novelty also follows the encoder's drift, not
only the visits (as in HyperX, whose hyper-state also holds a learnt belief).
"""

from __future__ import annotations

import torch
from torch import nn

from simbelief_edu.nets import mlp

LR = 1e-4
STAT_RATE = 0.01
INPUT_CLIP = 5.0
BONUS_CLIP = 10.0


def rnd_error(predictor: nn.Module, target: nn.Module, x_bar: torch.Tensor) -> torch.Tensor:
    """The RND error {eq}`eq-rnd-error`, e(x) = ||f̂(x̄) − f(x̄)||² (Burda et al., 2019), per
    row of normalised inputs ``x_bar`` [N, D]; returns [N]. The target is fixed: gradients
    reach f̂ only."""
    with torch.no_grad():
        y = target(x_bar)
    return (predictor(x_bar) - y).pow(2).sum(-1)


def normalised_bonus(error: torch.Tensor, scale: torch.Tensor, weight: float) -> torch.Tensor:
    """The RND bonus {eq}`eq-rnd-bonus`, b = β_i · min(e / ē, 10): the error ``error`` [N] in
    units of ``scale`` ē (in the agent, the batch's mean error), clipped at 10, times the
    current weight β_i (``weight``)."""
    return weight * (error / scale).clamp(max=BONUS_CLIP)


def annealed_weight(beta: float, iteration: int, num_iters: int) -> float:
    """The annealing β_i = β (1 − i / I) of {eq}`eq-rnd-bonus` (HyperX's linear schedule): the
    weight at the 0-based ``iteration`` i of ``num_iters`` I; β at the first iteration, β / I at
    the last."""
    return beta * (1.0 - iteration / num_iters)


class RND(nn.Module):
    """Target f (fixed) and predictor f̂ (trained), two MLPs ``[D, H, H, H]``, with the running
    statistics of the inputs and the predictor's optimiser."""

    def __init__(self, input_dim: int, hidden: int = 128, lr: float = LR):
        super().__init__()
        self.target = mlp([input_dim, hidden, hidden, hidden])
        self.target.requires_grad_(False)
        self.predictor = mlp([input_dim, hidden, hidden, hidden])
        self.register_buffer("x_mean", torch.zeros(input_dim))
        self.register_buffer("x_var", torch.ones(input_dim))
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))
        self.opt = torch.optim.Adam(self.predictor.parameters(), lr=lr)

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        """x̄ = clip((x − μ_x) / σ_x, −5, 5) with the running statistics."""
        return ((x - self.x_mean) / (self.x_var + 1e-8).sqrt()).clamp(-INPUT_CLIP, INPUT_CLIP)

    @torch.no_grad()
    def _track(self, name: str, value: torch.Tensor) -> None:
        """Move the running statistic ``name`` towards ``value`` at rate 0.01 (the first batch
        sets it)."""
        stat = getattr(self, name)
        stat.copy_(value if self.updates == 0 else stat.lerp(value, STAT_RATE))

    def update(self, next_x: torch.Tensor, weight: float) -> tuple[torch.Tensor, dict[str, float]]:
        """The bonus [N] of a SAC batch's next hyper-states ``next_x`` [N, D] at weight β_i
        (ē: the batch's mean error), then one Adam step of the predictor on them. Returns
        (bonus, logs): the batch's mean error ``rnd_error`` (the predictor's loss, before the
        step) and mean ``rnd_bonus`` (β_i unless the clip bit)."""
        self._track("x_mean", next_x.mean(0))
        self._track("x_var", next_x.var(0, unbiased=False))
        self.updates += 1
        error = rnd_error(self.predictor, self.target, self.normalise(next_x))
        loss = error.mean()
        bonus = normalised_bonus(error.detach(), loss.detach(), weight)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return bonus, {"rnd_error": loss.item(), "rnd_bonus": bonus.mean().item()}

    def checkpoint(self) -> dict:
        """Networks, running statistics and optimiser state: what a resumed run needs."""
        return {"nets": self.state_dict(), "opt": self.opt.state_dict()}

    def load_checkpoint(self, state: dict) -> None:
        self.load_state_dict(state["nets"])
        self.opt.load_state_dict(state["opt"])
