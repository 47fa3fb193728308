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

Two constructor arguments change the task family for book chapter 10 (given through
``Config.env_kwargs``); their defaults are the paper's environment, unchanged:

- ``reward="dense"``: the reward is the negative distance to the goal at every step, as in the
  dense Point-Robot of Rakelly et al. (2019) and VariBAD: every step tells the belief something.
- ``mirrored_fraction=p > 0`` ({eq}`eq-mirrored-dynamics`, book chapter 10): a task also says
  whether its action map is mirrored in x, drawn Bernoulli(p); in a mirrored task the point
  moves by ``max_step · (-a_x, a_y)``. Tasks then
  differ in their dynamics as well as their goal, and two goals' tasks can be far apart in
  behaviour although their goals are close: the test of SimBelief's assumption that tasks
  share structure.

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

REWARDS = ("sparse", "dense")


class PointRobotSparseEnv(TaskDistribution, gym.Env):
    """2-D point robot with a hidden goal on the half circle and a sparse 0/1 reward.

    observation: position ``(x, y)``, float32, shape (2,), kept inside ``[-arena, arena]^2``
                 (the default 7.5 is as far as 60 steps of 0.1 can go, so it never binds there)
    start:       uniform in ``start_box`` = [x_lo, x_hi, y_lo, y_hi], redrawn while within
                 ``goal_radius`` of the circle (so no episode starts inside any goal's radius)
    action:      ``[-1, 1]^2`` (clipped to it), the displacement is ``max_step · a``; in a
                 mirrored task ``max_step · (-a_x, a_y)``
    task:        goal ``(x, y)`` on the circle of radius ``circle_radius``; train/test goals have
                 angle in [0, pi], OOD goals angle in (pi, 2 pi) -- the other half circle.
                 With ``mirrored_fraction > 0``: ``(x, y, mirrored)``, ``mirrored`` 0. or 1.,
                 drawn Bernoulli(``mirrored_fraction``) for the pool and for OOD tasks alike
                 (``task_dim`` 3 on the instance; the goals are those of the default pool)
    reward:      ``reward="sparse"`` (default): ``1.0`` if ``||pos - goal|| <= goal_radius``
                 else ``0.0``; ``reward="dense"``: ``-||pos - goal||`` at every step
    info:        ``"success"`` (bool, inside the goal radius now, whatever the reward),
                 ``"task"`` (the task)
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
        reward: str = "sparse",
        mirrored_fraction: float = 0.0,
    ) -> None:
        if reward not in REWARDS:
            raise ValueError(f"reward must be one of {', '.join(map(repr, REWARDS))}, "
                             f"got {reward!r}")  # fmt: skip
        self.reward = reward
        self.mirrored_fraction = check_nonnegative("mirrored_fraction", mirrored_fraction)
        if self.mirrored_fraction > 1.0:
            raise ValueError(f"mirrored_fraction must be in [0, 1], got {mirrored_fraction!r}")
        if self.mirrored_fraction > 0.0:
            self.task_dim = 3  # (goal_x, goal_y, mirrored); the class's task_dim stays 2
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
        self._x_sign = 1.0  # -1.0 in a mirrored task (the sign of the x displacement)
        self._trajectory: list[np.ndarray] = []
        self._canvas: Any = None  # a render.TrajectoryCanvas, made on the first render

    # -- tasks: angles on the half circle (and, optionally, a mirrored action map) ---------------
    def _sample_in_distribution(self, n: int, rng: np.random.Generator) -> np.ndarray:
        goals = goals_on_circle(rng.uniform(*TRAIN_ANGLES, size=n), self.circle_radius)
        return self._with_mirroring(goals, rng)

    def _sample_ood(self, n: int, rng: np.random.Generator) -> np.ndarray:
        goals = goals_on_circle(rng.uniform(*OOD_ANGLES, size=n), self.circle_radius)
        return self._with_mirroring(goals, rng)

    def _with_mirroring(self, goals: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``goals`` [n, 2] as they are when ``mirrored_fraction`` is 0 (no random numbers
        drawn, so the default pool is today's); else with a column ``mirrored`` ~
        Bernoulli(``mirrored_fraction``), drawn after the goals (so the goals are unchanged)."""
        if self.mirrored_fraction == 0.0:
            return goals
        mirrored = rng.random(len(goals)) < self.mirrored_fraction
        return np.concatenate([goals, mirrored[:, None].astype(goals.dtype)], axis=1)

    def _on_task_set(self) -> None:
        self._goal_x, self._goal_y = float(self._task[0]), float(self._task[1])
        self._x_sign = -1.0 if self.task_dim == 3 and self._task[2] > 0.5 else 1.0

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

    def dense_reward(self, position: np.ndarray) -> float:
        """The dense reward {eq}`eq-dense-reward`, ``-||position - goal||``: minus the distance
        to the goal (book chapter 10)."""
        dx, dy = float(position[0]) - self._goal_x, float(position[1]) - self._goal_y
        return -float(np.hypot(dx, dy))

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Move by ``max_step · clip(action, -1, 1)`` (its x mirrored in a mirrored task);
        sparse reward: 1 inside the goal radius, else 0; dense: minus the distance to the goal."""
        displacement = self.max_step * np.clip(action, -1.0, 1.0)
        if self._x_sign < 0:
            displacement[0] = -displacement[0]  # exact: a mirrored step is max_step · (-a_x, a_y)
        self.position += displacement
        np.clip(self.position, -self.arena, self.arena, out=self.position)
        success = self.is_success(self.position)
        reward = self.dense_reward(self.position) if self.reward == "dense" else float(success)
        obs = self.position.copy()
        if self.render_mode is not None:
            self._trajectory.append(obs)
        return obs, reward, False, False, {"success": success, "task": self._task.copy()}

    def render(self) -> np.ndarray | None:
        """``rgb_array``: the half circle, the goal and its radius, the trajectory so far (the
        goal: the task's first two numbers, ``plot_trajectory``; mirroring is not drawn)."""
        if self.render_mode != "rgb_array":
            return None
        if self._canvas is None:
            from simbelief_edu.envs.render import TrajectoryCanvas  # matplotlib, only when needed

            self._canvas = TrajectoryCanvas(self.render_size)
        traj = np.array(self._trajectory)
        return self._canvas.draw(traj, self._task, self.goal_radius, self.circle_radius)

    def close(self) -> None:
        self._canvas = None
