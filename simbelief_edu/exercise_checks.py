"""The auto-checks of the exercises of chapters 6–9, each with its typical mistakes.

Each constant holds the keyword arguments of one :func:`simbelief_edu.checks.check_function`
call but the candidate and its name: the package's reference, the random inputs and the
typical mistakes with the message a learner sees when their function makes one. An exercise
notebook checks a learner's function with, for example::

    check_function(my_anchor_loss, **exercise_checks.ANCHOR_LOSS, name="my_anchor_loss")

``tests/test_checks.py`` runs every mistake listed here through its check and asserts that
its message comes back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from scipy.stats import trim_mean

from simbelief_edu import report
from simbelief_edu.belief.combine import combine_beliefs
from simbelief_edu.belief.elbo import gaussian_kl
from simbelief_edu.belief.latent_head import anchor_loss
from simbelief_edu.envs.tasks import sparse_goal_reward
from simbelief_edu.evaluate import episode_success, per_episode

# -- chapter 6: the anchor and the combined belief -----------------------------------------------


def _beliefs(rng: np.random.Generator) -> tuple:
    """Two diagonal Gaussians [B, d] (means, log-variances), B and d random."""
    B, d = int(rng.integers(1, 6)), int(rng.integers(2, 6))
    mu, mu_tilde = (torch.tensor(rng.normal(size=(B, d))) for _ in range(2))
    logvar, logvar_tilde = (torch.tensor(rng.uniform(-3.0, 2.0, size=(B, d))) for _ in range(2))
    return mu_tilde, logvar_tilde, mu, logvar


def _anchor_reversed(mu_tilde, logvar_tilde, mu, logvar):
    return gaussian_kl(mu, logvar, mu_tilde, logvar_tilde).mean() / mu.shape[-1]


def _anchor_sum_over_dims(mu_tilde, logvar_tilde, mu, logvar):
    return gaussian_kl(mu_tilde, logvar_tilde, mu, logvar).mean()


def _anchor_sum_over_batch(mu_tilde, logvar_tilde, mu, logvar):
    return gaussian_kl(mu_tilde, logvar_tilde, mu, logvar).sum() / mu.shape[-1]


ANCHOR_LOSS: dict[str, Any] = {
    "reference": anchor_loss,
    "make_inputs": _beliefs,
    "mistakes": {
        "the KL is the wrong way round: eq. (eq-anchor) is KL(b̃ ‖ sg b), the latent belief "
        "(mu_tilde, logvar_tilde) first": _anchor_reversed,
        "the loss is summed over the latent dimensions: average over them too (divide the "
        "batch mean by d)": _anchor_sum_over_dims,
        "the loss is summed over the batch: take the mean over the batch": _anchor_sum_over_batch,
    },
    "no_gradient_into": (2, 3),  # the specific belief (mu, logvar) is held fixed
}


def _beliefs_for_combine(rng: np.random.Generator) -> tuple:
    mu_tilde, logvar_tilde, mu, logvar = _beliefs(rng)
    return mu, logvar, mu_tilde, logvar_tilde


def _combine_without_means(mu, logvar, mu_tilde, logvar_tilde):
    return 0.5 * (mu + mu_tilde), (0.5 * logvar.exp() + 0.5 * logvar_tilde.exp()).log()


def _combine_mean_of_logvars(mu, logvar, mu_tilde, logvar_tilde):
    return 0.5 * (mu + mu_tilde), 0.5 * (logvar + logvar_tilde)


def _combine_returns_variance(mu, logvar, mu_tilde, logvar_tilde):
    mu_c, logvar_c = combine_beliefs(mu, logvar, mu_tilde, logvar_tilde)
    return mu_c, logvar_c.exp()


def _combine_logvar_as_variance(mu, logvar, mu_tilde, logvar_tilde):
    mu_c = 0.5 * (mu + mu_tilde)
    return mu_c, (0.5 * (logvar + mu**2) + 0.5 * (logvar_tilde + mu_tilde**2) - mu_c**2).log()


COMBINE_BELIEFS: dict[str, Any] = {
    "reference": combine_beliefs,
    "make_inputs": _beliefs_for_combine,
    "mistakes": {
        "σ_c² misses the spread of the two means: in eq. (eq-combine) it is the mixture's "
        "second moment w₁(σ² + μ²) + w₂(σ̃² + μ̃²) minus μ_c²": _combine_without_means,
        "you averaged the log-variances: eq. (eq-combine) mixes variances σ² = exp(log σ²) "
        "and second moments, then takes the log": _combine_mean_of_logvars,
        "the second output is σ_c²: return its log, log σ_c²": _combine_returns_variance,
        "logvar is log σ², not σ²: use logvar.exp() for σ²": _combine_logvar_as_variance,
    },
}

# -- chapter 7: the hold success rule --------------------------------------------------------------


def _per_step_successes(rng: np.random.Generator) -> tuple:
    """Bool tensors [..., H] with no, one or two leading axes, H from 1 to 12 (odd and even)."""
    lead = [(), (3,), (2, 3)][int(rng.integers(3))]
    return (torch.tensor(rng.random((*lead, int(rng.integers(1, 13)))) < 0.5),)


def hold_rule(success: torch.Tensor) -> torch.Tensor:
    """The package's hold rule, :func:`simbelief_edu.evaluate.episode_success` with "hold"."""
    return episode_success(success, "hold")


def _hold_whole_episode(success):
    return success.float().mean(-1)


def _hold_reach(success):
    return success.any(-1).float()


def _hold_short_last_half(success):
    H = success.shape[-1]
    return success[..., H - H // 2 :].float().mean(-1)


def _hold_first_half(success):
    H = success.shape[-1]
    return success[..., : (H + 1) // 2].float().mean(-1)


HOLD: dict[str, Any] = {
    "reference": hold_rule,
    "make_inputs": _per_step_successes,
    "mistakes": {
        "you averaged the whole episode: the hold rule scores its last half only, the last "
        "⌈H/2⌉ steps": _hold_whole_episode,
        "that is the reach rule (success at any step): the hold rule is the fraction of the "
        "last ⌈H/2⌉ steps that are successes": _hold_reach,
        "for odd H the last half has ⌈H/2⌉ steps (one more than H // 2): start it at step "
        "H // 2": _hold_short_last_half,
        "you scored the first half of the episode: the hold rule looks at its last half": (
            _hold_first_half
        ),
    },
}


def _meta_episode_successes(rng: np.random.Generator) -> tuple:
    """Bool tensors [n, k H] and k, with k from 2 to 3 and H from 1 to 7."""
    n, k, H = int(rng.integers(1, 5)), int(rng.integers(2, 4)), int(rng.integers(1, 8))
    return torch.tensor(rng.random((n, k * H)) < 0.5), k


def per_episode_hold(success: torch.Tensor, k: int) -> torch.Tensor:
    """The hold score of each episode of each meta-episode, [n, k], as the package's
    :func:`simbelief_edu.evaluate.per_episode` computes it."""
    rollout = {"rew": torch.zeros(success.shape), "success": success}
    return per_episode(rollout, k, "hold")["success"]


def _episodes_interleaved(success, k):
    n, T = success.shape
    return hold_rule(success.reshape(n, T // k, k).transpose(1, 2))


def _episodes_whole_meta_episode(success, k):
    return hold_rule(success)[:, None].expand(-1, k)


EPISODE_SCORES: dict[str, Any] = {
    "reference": per_episode_hold,
    "make_inputs": _meta_episode_successes,
    "mistakes": {
        "a meta-episode is its k episodes one after the other: reshape [n, T] to "
        "[n, k, T // k], not [n, T // k, k]": _episodes_interleaved,
        "you scored the whole meta-episode: split it into its k episodes first and score each "
        "one": _episodes_whole_meta_episode,
    },
}

# -- chapter 8: a hidden-goal reward ---------------------------------------------------------------


def _positions(rng: np.random.Generator) -> tuple:
    """Achieved positions [B, 3], goals [B, 3] (half of them within the threshold), threshold."""
    B, threshold = int(rng.integers(2, 9)), float(rng.uniform(0.03, 0.1))
    goal = rng.uniform(-0.15, 0.15, size=(B, 3))
    near = rng.random(B) < 0.5
    offset = rng.normal(size=(B, 3))
    offset /= np.linalg.norm(offset, axis=-1, keepdims=True)
    radius = np.where(near, rng.uniform(0.1, 0.9, B), rng.uniform(1.1, 3.0, B)) * threshold
    return goal + radius[:, None] * offset, goal, threshold


def _reward_one_zero(achieved, goal, threshold):
    return sparse_goal_reward(achieved, goal, threshold) + 1.0


def _reward_inverted(achieved, goal, threshold):
    return -1.0 - sparse_goal_reward(achieved, goal, threshold)


def _reward_squared_distance(achieved, goal, threshold):
    squared = ((np.asarray(achieved) - np.asarray(goal)) ** 2).sum(-1)
    return np.where(squared < threshold, 0.0, -1.0)


def _reward_xy_only(achieved, goal, threshold):
    return sparse_goal_reward(np.asarray(achieved)[..., :2], np.asarray(goal)[..., :2], threshold)


SPARSE_REWARD: dict[str, Any] = {
    "reference": sparse_goal_reward,
    "make_inputs": _positions,
    "mistakes": {
        "the reward is 0 at the goal and −1 elsewhere (not 1 and 0)": _reward_one_zero,
        "the reward is the wrong way round: 0 within the threshold, −1 outside": (_reward_inverted),
        "compare the distance ‖x − g‖ with the threshold, not its square": (
            _reward_squared_distance
        ),
        "the goal is 3-D: the distance uses all three coordinates, not only x and y": (
            _reward_xy_only
        ),
    },
}


def _goal_observations(rng: np.random.Generator) -> tuple:
    """One panda-gym observation dict (Reach: 6 numbers, achieved and desired goal), the hidden
    goal and the threshold; the achieved goal is near the hidden goal half the time. As in
    PandaReach, the observation starts with the end effector's position, the achieved goal."""
    achieved, goal, threshold = (x[0] if isinstance(x, np.ndarray) else x for x in _positions(rng))
    obs = {
        "observation": np.concatenate([achieved, rng.normal(size=3)]),
        "achieved_goal": achieved,
        "desired_goal": rng.uniform(-0.15, 0.15, size=3),  # panda-gym's own goal: not the task
    }
    return obs, goal, threshold


def hidden_goal_step(obs: dict, goal: np.ndarray, threshold: float) -> tuple:
    """What a hidden-goal wrapper makes of one panda-gym observation dict: the observation
    without any goal, the sparse reward for the hidden ``goal``, and the success."""
    reward = float(sparse_goal_reward(obs["achieved_goal"], goal, threshold))
    return obs["observation"], reward, reward == 0.0


def _step_with_desired_goal(obs, goal, threshold):
    return hidden_goal_step(obs, obs["desired_goal"], threshold)


def _diagnose_hidden_goal_step(candidate) -> str | None:
    """Probe with one observation: the observation that comes back must be obs['observation']."""
    obs, goal, threshold = _goal_observations(np.random.default_rng(0))
    observation = np.asarray(candidate(obs, goal, threshold)[0])
    if observation.shape != obs["observation"].shape:
        return (
            "the observation must not hold a goal: return obs['observation'] alone (the goal "
            "is the hidden task)"
        )
    return None


HIDDEN_GOAL_STEP: dict[str, Any] = {
    "reference": hidden_goal_step,
    "make_inputs": _goal_observations,
    "mistakes": {
        "the reward uses panda-gym's own goal obs['desired_goal']: reward the hidden task "
        "`goal` instead": _step_with_desired_goal,
    },
    "diagnose": _diagnose_hidden_goal_step,
}

# -- chapter 9: IQM and the stratified bootstrap -----------------------------------------------


def _score_table(rng: np.random.Generator) -> tuple:
    """Scores [runs, tasks]: success fractions in steps of 0.2 (ties) or returns."""
    shape = (int(rng.integers(2, 6)), int(rng.integers(3, 21)))
    if rng.random() < 0.5:
        return (rng.integers(0, 6, size=shape) / 5,)
    return (rng.normal(50.0, 20.0, size=shape),)


def _iqm_table(rng: np.random.Generator) -> tuple:
    """A score table, and about one time in three a tiny one (1 run, 1 to 3 tasks) where a
    quarter of the scores rounds down to none and nothing is trimmed."""
    if rng.random() < 0.3:
        return (rng.normal(50.0, 20.0, size=(1, int(rng.integers(1, 4)))),)
    return _score_table(rng)


def _iqm_mean(scores):
    return float(np.mean(scores))


def _iqm_median(scores):
    return float(np.median(scores))


def _iqm_per_task(scores):
    return trim_mean(scores, 0.25)


def _iqm_trim_half_each(scores):
    return float(trim_mean(np.ravel(scores), 0.125))


IQM: dict[str, Any] = {
    "reference": report.iqm,
    "make_inputs": _iqm_table,
    "mistakes": {
        "that is the mean of all scores: drop the lowest 25% and the highest 25% first": (
            _iqm_mean
        ),
        "that is the median: average the middle 50% of the scores instead": _iqm_median,
        "you took the IQM of each task (column): pool all (run, task) scores into one list "
        "(ravel) first": _iqm_per_task,
        "you trimmed 12.5% from each end: the IQM drops 25% at *each* end": _iqm_trim_half_each,
    },
}


def _bootstrap_inputs(rng: np.random.Generator) -> tuple:
    (scores,) = _score_table(rng)
    reps, confidence = int(rng.integers(50, 150)), [0.95, 0.9][rng.integers(2)]
    statistic = [report.iqm, np.mean, np.median][int(rng.integers(3))]  # use the one given
    return scores, statistic, reps, confidence, int(rng.integers(1000))


def _draws(scores, reps, seed):
    rng = np.random.default_rng(seed)
    n_runs, n_tasks = scores.shape
    return rng.integers(n_runs, size=(reps, n_runs, n_tasks))


def _interval(stats, confidence):
    return [float(q) for q in np.quantile(stats, [(1 - confidence) / 2, (1 + confidence) / 2])]


def _bootstrap_whole_runs(scores, statistic, reps, confidence, seed):
    stats = [statistic(scores[i[:, 0]]) for i in _draws(scores, reps, seed)]
    return statistic(scores), *_interval(stats, confidence)


def _bootstrap_tasks(scores, statistic, reps, confidence, seed):
    stats = [statistic(np.take_along_axis(scores, i, 1)) for i in _draws(scores, reps, seed)]
    return statistic(scores), *_interval(stats, confidence)


def _bootstrap_one_sided_tails(scores, statistic, reps, confidence, seed):
    stats = [statistic(np.take_along_axis(scores, i, 0)) for i in _draws(scores, reps, seed)]
    lo, hi = np.quantile(stats, [1 - confidence, confidence])
    return statistic(scores), float(lo), float(hi)


def _bootstrap_mean_point(scores, statistic, reps, confidence, seed):
    stats = [statistic(np.take_along_axis(scores, i, 0)) for i in _draws(scores, reps, seed)]
    return float(np.mean(stats)), *_interval(stats, confidence)


def _diagnose_bootstrap(candidate) -> str | None:
    """Probe with scores that differ only between runs: a stratified bootstrap (runs resampled
    within each task) gives an interval of positive width, one over tasks gives none."""
    runs_only = np.repeat(np.arange(5.0)[:, None], 8, axis=1)  # run i scores i on every task
    _, lo, hi = candidate(runs_only, report.iqm, 200, 0.95, 0)
    if np.isclose(lo, hi):
        return (
            "your interval has no width on scores that differ only between runs: resample the "
            "runs (rows) within each task (column), not the tasks"
        )
    return None


_RESAMPLES_TASKS = (
    "you resampled tasks (columns) within each run: a stratified bootstrap resamples the runs "
    "(rows) within each task, np.take_along_axis(scores, i, axis=0)"
)

STRATIFIED_BOOTSTRAP: dict[str, Any] = {
    "reference": report.stratified_bootstrap_ci,
    "make_inputs": _bootstrap_inputs,
    "n": 10,
    "mistakes": {
        "you resampled whole runs (rows) for every task at once: stratify, i.e. draw the "
        "runs of each task (column) separately, as idx[b] gives them": _bootstrap_whole_runs,
        _RESAMPLES_TASKS: _bootstrap_tasks,
        "each tail of the interval holds (1 − confidence) / 2: take the (1 − c)/2 and "
        "(1 + c)/2 quantiles of the replicates": _bootstrap_one_sided_tails,
        "the point estimate is the statistic of the scores themselves, not the mean of the "
        "bootstrap replicates": _bootstrap_mean_point,
    },
    "diagnose": _diagnose_bootstrap,
}

ALL: dict[str, dict[str, Any]] = {
    "ANCHOR_LOSS": ANCHOR_LOSS,
    "COMBINE_BELIEFS": COMBINE_BELIEFS,
    "HOLD": HOLD,
    "EPISODE_SCORES": EPISODE_SCORES,
    "SPARSE_REWARD": SPARSE_REWARD,
    "HIDDEN_GOAL_STEP": HIDDEN_GOAL_STEP,
    "IQM": IQM,
    "STRATIFIED_BOOTSTRAP": STRATIFIED_BOOTSTRAP,
}
