"""Task distributions shared by every environment (book chapter 1).

A *task* is the hidden part of an MDP that the agent must infer: a goal position, a target
velocity. Here a task is always a float32 vector of shape ``(task_dim,)``.

Following the paper's protocol, each environment owns a **fixed pool** of in-distribution tasks,
built once from a constructor seed (``task_seed``) and cut into a train and a test part, so the
meta-training tasks and the meta-test tasks are disjoint by construction. Out-of-distribution
("ood") tasks are drawn fresh, from outside the training range (the paper: "goals or
velocities outside the training range").

:class:`TaskDistribution` is a mixin: an environment inherits from it (before its gymnasium base
class), calls :meth:`_init_tasks` in its constructor, implements the two samplers, and calls
:meth:`_task_from_options` in ``reset``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

SPLITS = ("train", "test", "ood")
# Goal angles on the circle: training goals on the upper half [0, pi]; OOD goals on the lower
# half, kept 1e-3 rad off the shared endpoints so that no OOD goal coincides with a train goal.
TRAIN_ANGLES = (0.0, np.pi)
OOD_ANGLES = (np.pi + 1e-3, 2.0 * np.pi - 1e-3)


def check_nonnegative(name: str, value: float) -> float:
    """Return ``value`` as a float; raise ``ValueError`` naming ``name`` if negative or NaN."""
    value = float(value)
    if not value >= 0.0:  # also catches NaN
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return value


def check_positive_int(name: str, value: int) -> int:
    """Return ``value``; raise ``ValueError`` naming ``name`` unless it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def goals_on_circle(angles: np.ndarray, radius: float = 1.0) -> np.ndarray:
    """Goals ``radius * (cos a, sin a)`` for each angle, shape ``[len(angles), 2]``."""
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=-1)


def sparse_goal_reward(achieved: Any, goal: Any, threshold: float) -> np.ndarray:
    """The sparse reward of a hidden-goal task (panda-gym's, book chapter 8): ``0`` where the
    achieved position is within ``threshold`` of the goal (``||achieved - goal|| < threshold``,
    the norm over the last axis), ``-1`` elsewhere. Batched over leading axes."""
    distance = np.linalg.norm(np.asarray(achieved, float) - np.asarray(goal, float), axis=-1)
    return np.where(distance < threshold, 0.0, -1.0)


class TaskDistribution:
    """Mixin giving an environment a train/test task pool, an OOD sampler and a current task.

    Subclasses set ``task_dim`` and implement ``_sample_in_distribution(n, rng)`` and
    ``_sample_ood(n, rng)`` (each returning an array of shape ``[n, task_dim]``); they may
    override ``_on_task_set()`` to react when the task changes (e.g. move a goal marker).
    """

    task_dim: int
    np_random: np.random.Generator  # provided by gymnasium.Env
    success_rule: str = "reach"
    """how an episode's per-step successes become its score (``evaluate.episode_success``):
    ``"reach"`` (the goal reached at some step) or ``"hold"`` (the fraction of the episode's
    last half spent within the threshold)"""

    def _init_tasks(self, task_seed: int, n_train_tasks: int, n_test_tasks: int) -> None:
        """Build the fixed pool: ``n_train_tasks + n_test_tasks`` tasks from ``task_seed``."""
        n_train = check_positive_int("n_train_tasks", n_train_tasks)
        n_test = check_positive_int("n_test_tasks", n_test_tasks)
        pool_rng = np.random.default_rng(task_seed)
        pool = np.asarray(self._sample_in_distribution(n_train + n_test, pool_rng), np.float32)
        pool.flags.writeable = False
        self.task_seed = task_seed
        self.task_pools: dict[str, np.ndarray] = {"train": pool[:n_train], "test": pool[n_train:]}
        self._task: np.ndarray | None = None

    # -- samplers supplied by each environment -------------------------------------------------
    def _sample_in_distribution(self, n: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def _sample_ood(self, n: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def _on_task_set(self) -> None:
        """Hook called after the current task changed. Default: nothing."""

    # -- public interface ---------------------------------------------------------------------
    def sample_tasks(
        self, n: int, split: str = "train", rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """Draw ``n`` tasks of a split as an array of shape ``[n, task_dim]`` (float32).

        "train"/"test" draw from the fixed pool: without replacement when ``n`` is at most the
        pool size (``n == pool size`` gives a permutation of the pool), with replacement
        otherwise. "ood" samples fresh tasks outside the training range. ``rng`` defaults to the
        environment's seeded ``np_random``.
        """
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        rng = self.np_random if rng is None else rng
        if split == "ood":
            return np.asarray(self._sample_ood(int(n), rng), np.float32).reshape(n, self.task_dim)
        pool = self.task_pools[split]
        idx = rng.choice(len(pool), size=n, replace=n > len(pool))
        return pool[idx].copy()

    @property
    def task(self) -> np.ndarray | None:
        """The current task (read-only float32 array), or None before the first reset."""
        return self._task

    def validate_task(self, task: Any) -> np.ndarray:
        """Return ``task`` as a read-only float32 array; ``ValueError`` if malformed."""
        try:
            arr = np.array(task, dtype=np.float32)  # a copy: the caller may reuse its buffer
        except (TypeError, ValueError) as err:
            raise ValueError(f"task must be an array of {self.task_dim} numbers: {err}") from err
        if arr.shape != (self.task_dim,):
            raise ValueError(f"task must have shape ({self.task_dim},), got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"task must be finite, got {arr}")
        arr.flags.writeable = False
        return arr

    def _task_from_options(self, options: dict[str, Any] | None) -> None:
        """Apply ``reset(options={"task": ...})``; on a first reset without one, draw a train task.

        Call this in ``reset`` *after* the physical state was reset, so that the initial
        observation does not depend on whether a task had to be drawn.
        """
        if options is not None and options.get("task") is not None:
            self._task = self.validate_task(options["task"])
        elif self._task is None:
            self._task = self.validate_task(self.sample_tasks(1, "train")[0])
        else:
            return
        self._on_task_set()
