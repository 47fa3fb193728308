"""Meta-testing (book chapter 6): the deterministic policy on held-out and OOD tasks.

Each task is played for several meta-episodes (``meta_episodes``; 5 in the presets), each a
fresh reset of the belief. Metrics per episode e of the meta-episode: the return, and the
success (the goal reached at some step of episode e). ``meta_test`` keeps them per task so
results can be aggregated over seeds *and* tasks (IQM with bootstrap intervals,
``simbelief_edu.report``).
"""

from __future__ import annotations

import numpy as np
import torch

from simbelief_edu.rollout import run_meta_episodes


def episode_metrics(rollout: dict[str, torch.Tensor], episodes_per_task: int) -> dict[str, list]:
    """Mean over tasks of the return and success of each episode of the meta-episode, and
    the success over the whole meta-episode (goal reached at any step)."""
    per_ep = per_episode(rollout, episodes_per_task)
    return {
        "return": per_ep["return"].mean(0).tolist(),
        "success": per_ep["success"].mean(0).tolist(),
        "success_any": rollout["success"].any(-1).float().mean().item(),
    }


def per_episode(rollout: dict[str, torch.Tensor], episodes_per_task: int) -> dict:
    """Return and success of each episode of each meta-episode: two [n, episodes] tensors."""
    n, T = rollout["rew"].shape
    shape = (n, episodes_per_task, T // episodes_per_task)
    return {
        "return": rollout["rew"].reshape(shape).sum(-1),
        "success": rollout["success"].reshape(shape).any(-1).float(),
    }


def meta_test(
    envs, agent, policy, tasks: np.ndarray, seed: int, meta_episodes: int = 1
) -> dict[str, list]:
    """Meta-test the deterministic policy: ``meta_episodes`` meta-episodes in each task.

    Returns the means over tasks and meta-episodes (``return``, ``success`` per episode,
    ``success_any``) and, per task, the means over its meta-episodes (``per_task_return``,
    ``per_task_success``: [task][episode]).
    """
    k = envs[0].episodes_per_task
    rng = np.random.default_rng(seed)
    runs = []
    for _ in range(meta_episodes):
        rollout = run_meta_episodes(
            envs, agent, policy, tasks, rng.integers(2**31, size=len(tasks)), deterministic=True
        )
        runs.append({**per_episode(rollout, k), "any": rollout["success"].any(-1).float()})
    ret = torch.stack([r["return"] for r in runs]).mean(0)  # [n_tasks, k]
    succ = torch.stack([r["success"] for r in runs]).mean(0)
    return {
        "return": ret.mean(0).tolist(),
        "success": succ.mean(0).tolist(),
        "success_any": torch.stack([r["any"] for r in runs]).mean().item(),
        "per_task_return": ret.tolist(),
        "per_task_success": succ.tolist(),
        "meta_episodes": meta_episodes,
    }
