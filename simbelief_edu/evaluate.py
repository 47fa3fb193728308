"""Meta-testing (book chapter 6): the deterministic policy on held-out and OOD tasks.

Each task is played for several meta-episodes (``meta_episodes``; 5 in the presets), each a
fresh reset of the belief. Metrics per episode e of the meta-episode: the return, and the
success, by the environment's ``success_rule`` (:func:`episode_success`): the goal reached at
some step of episode e (``"reach"``: Point-Robot, Ant), or the fraction of the episode's last
half spent within the threshold (``"hold"``: Cheetah-Vel, where every run passes through its
target speed while accelerating, and panda-gym, which judges success at the episode's end).
``meta_test`` keeps them per task so results can be aggregated over seeds *and* tasks (IQM with
bootstrap intervals, ``simbelief_edu.report``).
"""

from __future__ import annotations

import numpy as np
import torch

from simbelief_edu.rollout import run_meta_episodes

SUCCESS_RULES = ("reach", "hold")


def episode_success(success: torch.Tensor, rule: str = "reach") -> torch.Tensor:
    """An episode's success score from its per-step successes ``success`` [..., H] (bool).

    ``"reach"``: 1 if the goal was reached at any step. ``"hold"``: the fraction of the last
    ⌈H/2⌉ steps within the threshold, so passing through the target once scores about 0.
    """
    if rule == "reach":
        return success.any(-1).float()
    if rule == "hold":
        return success[..., success.shape[-1] // 2 :].float().mean(-1)
    raise ValueError(f"unknown success rule {rule!r}; choose one of {', '.join(SUCCESS_RULES)}")


def episode_metrics(
    rollout: dict[str, torch.Tensor], episodes_per_task: int, rule: str = "reach"
) -> dict[str, list]:
    """Mean over tasks of the return and success of each episode of the meta-episode, and
    ``success_any``: the best episode's success (for ``"reach"``, the goal reached at any step
    of the meta-episode)."""
    per_ep = per_episode(rollout, episodes_per_task, rule)
    return {
        "return": per_ep["return"].mean(0).tolist(),
        "success": per_ep["success"].mean(0).tolist(),
        "success_any": per_ep["success"].amax(-1).mean().item(),
    }


def per_episode(rollout: dict[str, torch.Tensor], episodes_per_task: int, rule: str = "reach"):
    """Return and success of each episode of each meta-episode: two [n, episodes] tensors."""
    n, T = rollout["rew"].shape
    shape = (n, episodes_per_task, T // episodes_per_task)
    return {
        "return": rollout["rew"].reshape(shape).sum(-1),
        "success": episode_success(rollout["success"].reshape(shape), rule),
    }


def meta_test(
    envs, agent, policy, tasks: np.ndarray, seed: int, meta_episodes: int = 1
) -> dict[str, list]:
    """Meta-test the deterministic policy: ``meta_episodes`` meta-episodes in each task.

    Returns the means over tasks and meta-episodes (``return``, ``success`` per episode,
    ``success_any``), per task the means over its meta-episodes (``per_task_return``,
    ``per_task_success``: [task][episode]), and the ``tasks`` themselves in that order (each
    seed meets the fixed test pool in its own order; ``report.scores`` aligns them).
    """
    k, rule = envs[0].episodes_per_task, envs[0].unwrapped.success_rule
    rng = np.random.default_rng(seed)
    runs = []
    for _ in range(meta_episodes):
        rollout = run_meta_episodes(
            envs, agent, policy, tasks, rng.integers(2**31, size=len(tasks)), deterministic=True
        )
        per_ep = per_episode(rollout, k, rule)
        runs.append({**per_ep, "any": per_ep["success"].amax(-1)})
    ret = torch.stack([r["return"] for r in runs]).mean(0)  # [n_tasks, k]
    succ = torch.stack([r["success"] for r in runs]).mean(0)
    return {
        "return": ret.mean(0).tolist(),
        "success": succ.mean(0).tolist(),
        "success_any": torch.stack([r["any"] for r in runs]).mean().item(),
        "per_task_return": ret.tolist(),
        "per_task_success": succ.tolist(),
        "tasks": np.asarray(tasks, np.float64).tolist(),
        "meta_episodes": meta_episodes,
    }


def zero_action_success(env, tasks: np.ndarray, seed: int = 0) -> np.ndarray:
    """Success of the policy that does nothing (``a = 0`` at every step: the cheetah stands,
    the arm stays put) in each task of ``tasks``: one episode of ``env`` (made without a
    MetaEpisode) per task, scored by the env's success rule. The line a learnt policy must beat
    where a task can be solved without moving (a slow target, a goal near the start). [n_tasks]
    """
    rule, horizon = env.unwrapped.success_rule, env.spec.max_episode_steps
    zero = np.zeros(env.action_space.shape, env.action_space.dtype)
    out = []
    for i, task in enumerate(tasks):
        env.reset(seed=seed + i, options={"task": task})
        steps = [env.step(zero)[4]["success"] for _ in range(horizon)]
        out.append(episode_success(torch.tensor(steps), rule).item())
    return np.array(out)
