"""Sparse MuJoCo tasks built on gymnasium's own HalfCheetah-v5 and Ant-v5 (the paper's benchmarks).

No new physics and no new XML: each class subclasses the gymnasium environment, lets the parent
``step`` simulate, and only replaces the reward with a sparse, task-dependent one.

* Cheetah-Vel-Sparse: the task is a target forward velocity ``v ~ U[0, 3]``; the reward is
  ``2 - |v_x - v|`` within ``vel_threshold`` of it, else 0, minus ``0.05 ||a||^2`` (the
  authors' sparse reward and control cost).
* Ant-Semicircle-Sparse: the task is a goal on the upper half circle of radius 1; the reward is
  ``1{||xy - goal|| <= goal_radius}`` plus the dense non-goal terms of Ant-v5
  (``- ctrl_cost - contact_cost + healthy_reward``), with no termination (fixed horizon).

Both run 200 steps per episode (``max_episode_steps`` at registration). They declare only the
off-screen render modes, so ``check_env`` passes headless; ``gymnasium.make(...,
render_mode="human")`` still works on a desktop (gymnasium then shows the ``rgb_array`` frames).
"""

from __future__ import annotations

import sys
from typing import Any

import mujoco
import numpy as np
from gymnasium import utils
from gymnasium.envs.mujoco.ant_v5 import AntEnv
from gymnasium.envs.mujoco.half_cheetah_v5 import HalfCheetahEnv

from simbelief_edu.envs.tasks import (
    OOD_ANGLES,
    TRAIN_ANGLES,
    TaskDistribution,
    check_nonnegative,
    goals_on_circle,
)


def _drop_settotalmass_notice(message: str) -> None:
    """MuJoCo warns, at every compile of gymnasium's half_cheetah.xml, that its
    ``settotalmass`` attribute is deprecated (the model compiles as before). Print every other
    MuJoCo warning as MuJoCo does."""
    if "settotalmass" not in message:
        print(f"WARNING: {message}", file=sys.stderr)


if mujoco.get_mju_user_warning() is None:  # leave a handler the user installed alone
    mujoco.set_mju_user_warning(_drop_settotalmass_notice)

OFFSCREEN_METADATA = {"render_modes": ["rgb_array", "depth_array", "rgbd_tuple"], "render_fps": 20}


class HalfCheetahVelSparseEnv(TaskDistribution, HalfCheetahEnv):
    """HalfCheetah-v5 that is rewarded only while running near a hidden target velocity.

    observation: HalfCheetah-v5's (17,) (joint positions without x, joint velocities)
    action:      (6,) torques in [-1, 1]
    task:        target velocity ``(v,)``; train/test ``v ~ U[0, max_velocity]``, OOD
                 ``v ~ U(max_velocity, ood_max_velocity]``
    reward:      ``(2 - |v_x - v|) 1{|v_x - v| <= vel_threshold} - ctrl_cost_weight ||a||^2``,
                 ``ctrl_cost_weight = 0.05`` (both as in the authors' code)
    info:        HalfCheetah-v5's ``x_position``, ``x_velocity``, ``reward_ctrl``, plus
                 ``reward_goal``, ``"success"`` (within the threshold now), ``"task"``
    """

    metadata = OFFSCREEN_METADATA
    task_dim = 1
    success_rule = "hold"  # a run passes through every speed while accelerating: hold it

    def __init__(
        self,
        vel_threshold: float = 0.5,
        max_velocity: float = 3.0,
        ood_max_velocity: float = 4.0,
        task_seed: int = 0,
        n_train_tasks: int = 80,
        n_test_tasks: int = 20,
        ctrl_cost_weight: float = 0.05,
        **kwargs: Any,
    ) -> None:
        self.vel_threshold = check_nonnegative("vel_threshold", vel_threshold)
        self.max_velocity = check_nonnegative("max_velocity", max_velocity)
        self.ood_max_velocity = check_nonnegative("ood_max_velocity", ood_max_velocity)
        if self.ood_max_velocity <= self.max_velocity:
            raise ValueError("ood_max_velocity must be greater than max_velocity")
        super().__init__(ctrl_cost_weight=ctrl_cost_weight, **kwargs)  # render_mode, width, ...
        utils.EzPickle.__init__(
            self, vel_threshold, max_velocity, ood_max_velocity, task_seed, n_train_tasks,
            n_test_tasks, ctrl_cost_weight, **kwargs,
        )  # fmt: skip
        self.metadata = {**self.metadata, "render_modes": OFFSCREEN_METADATA["render_modes"]}
        self._init_tasks(task_seed, n_train_tasks, n_test_tasks)

    def _sample_in_distribution(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(0.0, self.max_velocity, size=(n, 1))

    def _sample_ood(self, n: int, rng: np.random.Generator) -> np.ndarray:
        # uniform on (max_velocity, ood_max_velocity]: 1 - U[0, 1) lies in (0, 1]
        span = self.ood_max_velocity - self.max_velocity
        return self.max_velocity + span * (1.0 - rng.uniform(size=(n, 1)))

    def is_success(self, x_velocity: float) -> bool:
        """True when ``x_velocity`` is within ``vel_threshold`` of the target velocity."""
        return bool(abs(float(x_velocity) - float(self._task[0])) <= self.vel_threshold)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """HalfCheetah-v5 reset; ``options={"task": [v]}`` sets the target velocity."""
        obs, info = super().reset(seed=seed)
        self._task_from_options(options)
        info.update(success=self.is_success(self.data.qvel[0]), task=self._task.copy())
        return obs, info

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        obs, _, terminated, truncated, info = super().step(action)
        success = self.is_success(info["x_velocity"])
        del info["reward_forward"]  # the dense forward reward is not part of this task
        goal = 2.0 - abs(float(info["x_velocity"]) - float(self._task[0])) if success else 0.0
        info.update(reward_goal=goal, success=success, task=self._task.copy())
        return obs, goal + info["reward_ctrl"], terminated, truncated, info


# looking down (60 degrees) on the half circle of goals, from the -y side
ANT_CAMERA = {"distance": 4.0, "elevation": -60.0, "azimuth": 90.0, "lookat": np.array([0, 0.5, 0])}


class AntSemicircleSparseEnv(TaskDistribution, AntEnv):
    """Ant-v5 rewarded for reaching a hidden goal on the half circle (plus Ant's dense terms).

    observation: Ant-v5's qpos (15, including the torso x, y) + qvel (14) = (29,); the contact
                 forces are left out of the observation, for speed
    action:      (8,) torques in [-1, 1]
    task:        goal ``(x, y)``; train/test on the upper half circle, OOD on the lower half
    reward:      ``1{||xy - goal|| <= goal_radius} - ctrl_cost - contact_cost + healthy_reward``
    info:        Ant-v5's keys (positions, velocities, ``reward_ctrl``, ``reward_contact``,
                 ``reward_survive``) plus ``reward_goal``, ``"success"``, ``"task"``
    """

    metadata = OFFSCREEN_METADATA
    task_dim = 2

    def __init__(
        self,
        goal_radius: float = 0.2,
        circle_radius: float = 1.0,
        task_seed: int = 0,
        n_train_tasks: int = 80,
        n_test_tasks: int = 20,
        default_camera_config: dict[str, Any] = ANT_CAMERA,
        **kwargs: Any,
    ) -> None:
        self.goal_radius = check_nonnegative("goal_radius", goal_radius)
        self.circle_radius = check_nonnegative("circle_radius", circle_radius)
        super().__init__(
            exclude_current_positions_from_observation=False,  # x, y are in the observation
            include_cfrc_ext_in_observation=False,
            terminate_when_unhealthy=False,  # fixed horizon: a BAMDP episode never ends early
            default_camera_config=default_camera_config,  # looks down on the half circle
            **kwargs,
        )
        utils.EzPickle.__init__(
            self, goal_radius, circle_radius, task_seed, n_train_tasks, n_test_tasks,
            default_camera_config, **kwargs,
        )  # fmt: skip
        self.metadata = {**self.metadata, "render_modes": OFFSCREEN_METADATA["render_modes"]}
        self._init_tasks(task_seed, n_train_tasks, n_test_tasks)

    def _sample_in_distribution(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return goals_on_circle(rng.uniform(*TRAIN_ANGLES, size=n), self.circle_radius)

    def _sample_ood(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return goals_on_circle(rng.uniform(*OOD_ANGLES, size=n), self.circle_radius)

    def is_success(self, xy: np.ndarray) -> bool:
        """True when the torso position ``xy`` is within ``goal_radius`` of the goal."""
        return bool(np.linalg.norm(np.asarray(xy[:2]) - self._task) <= self.goal_radius)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Ant-v5 reset; ``options={"task": [x, y]}`` sets the goal."""
        obs, info = super().reset(seed=seed)
        self._task_from_options(options)
        info.update(success=self.is_success(self.data.qpos[:2]), task=self._task.copy())
        return obs, info

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        obs, _, terminated, truncated, info = super().step(action)
        success = self.is_success(self.data.qpos[:2])
        del info["reward_forward"]  # the dense forward reward is replaced by the goal reward
        dense = info["reward_ctrl"] + info["reward_contact"] + info["reward_survive"]
        info.update(reward_goal=float(success), success=success, task=self._task.copy())
        return obs, float(success) + float(dense), terminated, truncated, info

    def render(self) -> Any:
        """Ant-v5 frame with the goal region (green disc) and the half circle (grey dots)."""
        offscreen = self.render_mode in ("rgb_array", "depth_array", "rgbd_tuple")
        if offscreen and self._task is not None:
            viewer = self.mujoco_renderer._get_viewer(self.render_mode)  # markers last one frame
            r = self.goal_radius
            viewer.add_marker(
                type=mujoco.mjtGeom.mjGEOM_CYLINDER,
                pos=np.array([self._task[0], self._task[1], 0.0]),
                size=np.array([r, 0.005, 0.0]),  # cylinder: radius, half-height
                rgba=np.array([0.1, 0.8, 0.1, 0.6]),
            )
            for a in np.linspace(0.0, np.pi, 13):
                viewer.add_marker(
                    pos=np.array([np.cos(a), np.sin(a), 0.0]) * self.circle_radius,
                    size=np.full(3, 0.04),
                    rgba=np.array([0.5, 0.5, 0.5, 1.0]),
                )
        return super().render()
