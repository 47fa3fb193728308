"""Point-Robot-Sparse: the book's running example (a benchmark of the paper, after Rakelly
et al., 2019).

A point starts at a random position near the half circle of goals, never within the goal
radius of the circle. Each step it moves by ``max_step · a`` for an action ``a ∈ [-1, 1]^2``
(scaled linearly, as in the authors' code, so the displacement tells the action back).
The task is a goal on the upper half of the unit circle; the reward is 1 inside the goal radius
and 0 elsewhere, so until the agent has found the goal once, every reward it sees is zero.
That is exactly the regime where a belief learnt by reconstructing rewards has nothing to
reconstruct (book chapter 1). Episodes last 60 steps (``max_episode_steps`` at registration)
and are only ever truncated, never terminated.

Plain numpy and few allocations per step: training steps this environment millions of times.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from simbelief_edu.envs.tasks import (
    OOD_ANGLES,
    TRAIN_ANGLES,
    TaskDistribution,
    check_nonnegative,
    goals_on_circle,
)


class PointRobotSparseEnv(TaskDistribution, gym.Env):
    """2-D point robot with a hidden goal on the half circle and a sparse 0/1 reward.

    observation: position ``(x, y)``, float32, shape (2,), kept inside ``[-arena, arena]^2``
                 (the default 7.5 is as far as 60 steps of 0.1 can go, so it never binds there)
    start:       uniform in ``start_box`` = [x_lo, x_hi, y_lo, y_hi], redrawn while within
                 ``goal_radius`` of the circle (so no episode starts inside any goal's radius)
    action:      ``[-1, 1]^2`` (clipped to it), the displacement is ``max_step · a``
    task:        goal ``(x, y)`` on the circle of radius ``circle_radius``; train/test goals have
                 angle in [0, pi], OOD goals angle in (pi, 2 pi) -- the other half circle
    reward:      ``1.0`` if ``||pos - goal|| <= goal_radius`` else ``0.0``
    info:        ``"success"`` (bool, inside the goal radius now), ``"task"`` (the goal)
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}
    task_dim = 2

    def __init__(
        self,
        goal_radius: float = 0.3,
        max_step: float = 0.1,
        circle_radius: float = 1.0,
        arena: float = 7.5,
        start_box: tuple[float, float, float, float] = (-1.5, 1.5, -0.5, 1.5),
        task_seed: int = 0,
        n_train_tasks: int = 80,
        n_test_tasks: int = 20,
        render_mode: str | None = None,
        render_size: int = 256,
    ) -> None:
        self.goal_radius = check_nonnegative("goal_radius", goal_radius)
        self.max_step = check_nonnegative("max_step", max_step)
        self.circle_radius = check_nonnegative("circle_radius", circle_radius)
        self.arena = check_nonnegative("arena", arena)
        x_lo, x_hi, y_lo, y_hi = start_box
        if not (x_lo < x_hi and y_lo < y_hi):
            raise ValueError(
                f"start_box must be (x_lo, x_hi, y_lo, y_hi) with lo < hi, got {start_box}"
            )
        self.start_box = (x_lo, x_hi, y_lo, y_hi)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.render_mode = render_mode
        self.render_size = render_size
        self.observation_space = spaces.Box(-self.arena, self.arena, shape=(2,), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
        self._init_tasks(task_seed, n_train_tasks, n_test_tasks)
        self.position = np.zeros(2, dtype=np.float32)  # the state; tests may set it directly
        self._goal_x = self._goal_y = 0.0
        self._trajectory: list[np.ndarray] = []
        self._canvas: Any = None  # a render.TrajectoryCanvas, made on the first render

    # -- tasks: angles on the half circle --------------------------------------------------------
    def _sample_in_distribution(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return goals_on_circle(rng.uniform(*TRAIN_ANGLES, size=n), self.circle_radius)

    def _sample_ood(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return goals_on_circle(rng.uniform(*OOD_ANGLES, size=n), self.circle_radius)

    def _on_task_set(self) -> None:
        self._goal_x, self._goal_y = float(self._task[0]), float(self._task[1])

    def sample_start(self, rng: np.random.Generator) -> np.ndarray:
        """A start position, uniform in ``start_box`` and farther than ``goal_radius`` from the
        circle (rejection sampling; the box keeps most of its area outside that band)."""
        x_lo, x_hi, y_lo, y_hi = self.start_box
        while True:
            p = rng.uniform((x_lo, y_lo), (x_hi, y_hi))
            if abs(np.hypot(p[0], p[1]) - self.circle_radius) > self.goal_radius:
                return p

    def is_success(self, position: np.ndarray) -> bool:
        """True when ``position`` is within ``goal_radius`` of the current goal."""
        dx, dy = float(position[0]) - self._goal_x, float(position[1]) - self._goal_y
        return dx * dx + dy * dy <= self.goal_radius * self.goal_radius

    # -- gymnasium API ---------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Put the point at a random start off the circle; ``options={"task": goal}`` sets the
        goal (the task of the BAMDP, book chapter 1)."""
        super().reset(seed=seed)
        self.position[:] = self.sample_start(self.np_random)
        self._task_from_options(options)
        if self.render_mode is not None:
            self._trajectory = [self.position.copy()]
        info = {"success": self.is_success(self.position), "task": self._task.copy()}
        return self.position.copy(), info

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Move by ``max_step · clip(action, -1, 1)``; reward 1 inside the goal radius, else 0."""
        self.position += self.max_step * np.clip(action, -1.0, 1.0)
        np.clip(self.position, -self.arena, self.arena, out=self.position)
        success = self.is_success(self.position)
        obs = self.position.copy()
        if self.render_mode is not None:
            self._trajectory.append(obs)
        return obs, float(success), False, False, {"success": success, "task": self._task.copy()}

    def render(self) -> np.ndarray | None:
        """``rgb_array``: the half circle, the goal and its radius, the trajectory so far."""
        if self.render_mode != "rgb_array":
            return None
        if self._canvas is None:
            from simbelief_edu.envs.render import TrajectoryCanvas  # matplotlib, only when needed

            self._canvas = TrajectoryCanvas(self.render_size)
        traj = np.array(self._trajectory)
        return self._canvas.draw(traj, self._task, self.goal_radius, self.circle_radius)

    def close(self) -> None:
        self._canvas = None
