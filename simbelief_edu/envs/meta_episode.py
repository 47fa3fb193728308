"""The BAMDP meta-episode: k episodes of one task in a row (book chapter 1, {eq}`eq-bamdp`).

In a Bayes-adaptive MDP the agent keeps its belief across several ordinary episodes of the same
task (``max_rollouts_per_task`` = 2 in the paper's configs), so it can explore in the first and
exploit in the later ones. :class:`MetaEpisode` turns an environment with the task interface of
this package into that longer episode:

* ``reset(options={"task": t})`` starts a meta-episode in task ``t``;
* when an inner episode ends (and it is not the last), the inner environment is reset **in the
  same task** and ``step`` returns the first observation of the new episode, with
  ``info["episode_done"] = True`` and ``info["final_obs"]`` = the last observation of the
  finished episode (the true next state of that transition);
* ``info["episode_index"]`` always tells which episode the returned observation belongs to;
* after the k-th episode, ``truncated`` is True (``terminated`` if the inner episode
  terminated). A meta-episode therefore lasts ``k * horizon`` steps.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from simbelief_edu.envs.tasks import check_positive_int


class MetaEpisode(gym.Wrapper):
    """Chain ``episodes_per_task`` episodes of the inner environment in one task (a BAMDP).

    The inner environment must end its own episodes: make it with ``gymnasium.make`` (or
    :func:`simbelief_edu.envs.make`), whose ``TimeLimit`` truncates at the registered horizon.
    """

    def __init__(self, env: gym.Env, episodes_per_task: int = 2) -> None:
        super().__init__(env)
        self.episodes_per_task = check_positive_int("episodes_per_task", episodes_per_task)
        self.episode_index = 0
        self._task: np.ndarray | None = None

    @property
    def horizon(self) -> int | None:
        """Steps per inner episode (the registered ``max_episode_steps``), if known."""
        return None if self.env.spec is None else self.env.spec.max_episode_steps

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Start a meta-episode (in ``options["task"]`` if given, else as the inner env does)."""
        obs, info = self.env.reset(seed=seed, options=options)
        self._task = info["task"]
        self.episode_index = 0
        info.update(episode_index=0, episode_done=False)
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        info["episode_done"] = terminated or truncated
        if not info["episode_done"]:
            info["episode_index"] = self.episode_index
            return obs, reward, False, False, info
        info["final_obs"] = obs
        info["episode_terminated"] = terminated  # was final_obs a terminal state?
        if self.episode_index + 1 >= self.episodes_per_task:  # the meta-episode is over
            info["episode_index"] = self.episode_index
            return obs, reward, terminated, not terminated, info
        # Next episode, same task. The belief (the agent's business) carries over.
        self.episode_index += 1
        obs, _ = self.env.reset(options={"task": self._task})
        info["episode_index"] = self.episode_index
        return obs, reward, False, False, info
