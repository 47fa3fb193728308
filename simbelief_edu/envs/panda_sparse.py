"""Panda-Reach-Sparse and Panda-Push-Sparse on panda-gym 3 (the paper's benchmarks).

Built from panda-gym's own pieces -- the ``PyBullet`` simulation, the ``Panda`` robot and the
``Reach`` / ``Push`` tasks -- assembled like panda-gym's ``RobotTaskEnv`` but with two changes
that turn a multi-goal environment into a meta-RL task distribution:

1. the goal is the **hidden task**: it is chosen by ``reset(options={"task": goal})`` and is
   *not* part of the observation (panda-gym puts it in ``obs["desired_goal"]``);
2. an episode never terminates on success (fixed horizon of 50 steps, set at registration), so
   the agent is rewarded for staying at the goal.

Reward: -1 per step unless ``||achieved - goal|| < distance_threshold`` (0.05 m), then 0, where
"achieved" is the end-effector (Reach) or the object (Push). Train/test goals are drawn from
panda-gym's goal box (0.3 m wide in x and y); OOD goals lie outside it, in a 0.45 m box.

This module imports panda-gym (and pybullet) at import time; the registry imports it lazily.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from panda_gym.envs.core import Task
from panda_gym.envs.robots.panda import Panda
from panda_gym.envs.tasks.push import Push
from panda_gym.envs.tasks.reach import Reach
from panda_gym.pybullet import PyBullet

from simbelief_edu.envs.tasks import TaskDistribution, check_nonnegative, sparse_goal_reward

IDENTITY_QUATERNION = np.array([0.0, 0.0, 0.0, 1.0])


class PandaSparseEnv(TaskDistribution, gym.Env):
    """Base class: a Panda arm (end-effector control, gripper blocked) with a hidden goal.

    observation: float32, the robot's (ee position, ee velocity) followed by the panda-gym task
                 observation (nothing for Reach; object position, rotation, velocity, angular
                 velocity for Push). The desired goal is left out: it is the task.
    action:      (3,) end-effector displacement in [-1, 1] (panda-gym scales it by 0.05 m)
    task:        goal ``(x, y, z)`` in metres
    info:        ``"success"`` (within ``distance_threshold`` now), ``"task"``, ``"distance"``
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 25}
    task_dim = 3
    success_rule = "hold"  # panda-gym's own success is judged at the episode's end

    def __init__(
        self,
        distance_threshold: float = 0.05,
        goal_range: float = 0.3,
        ood_range: float = 0.45,
        task_seed: int = 0,
        n_train_tasks: int = 80,
        n_test_tasks: int = 20,
        render_mode: str | None = None,
        render_width: int = 480,
        render_height: int = 360,
    ) -> None:
        self.distance_threshold = check_nonnegative("distance_threshold", distance_threshold)
        self.goal_range = check_nonnegative("goal_range", goal_range)
        self.ood_range = check_nonnegative("ood_range", ood_range)
        if self.ood_range <= self.goal_range:
            raise ValueError("ood_range must be greater than goal_range")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.render_mode = render_mode
        self.render_width, self.render_height = render_width, render_height
        # A DIRECT pybullet connection (no window); frames come from the TinyRenderer on demand.
        self.sim = PyBullet(render_mode="rgb_array", renderer="Tiny")
        base = np.array([-0.6, 0.0, 0.0])  # panda-gym's placement, facing the table
        self.robot = Panda(self.sim, block_gripper=True, base_position=base, control_type="ee")
        self.goal_task = self._make_goal_task()  # panda-gym's Task object (scene, achieved goal)
        self.action_space = self.robot.action_space
        obs_dim = self._get_obs().shape[0]
        self.observation_space = spaces.Box(-10.0, 10.0, shape=(obs_dim,), dtype=np.float32)
        self._init_tasks(task_seed, n_train_tasks, n_test_tasks)
        self._fresh_state = self.sim.save_state()  # restored on reset (velocities and all)

    # -- supplied by Reach / Push ----------------------------------------------------------------
    goal_offset = np.zeros(3)  # added to every goal (Push: the cube's half height)
    movable_bodies: tuple[str, ...] = ("panda",)  # pybullet bodies that can touch something

    def _make_goal_task(self) -> Task:
        raise NotImplementedError

    # -- tasks: boxes of goals -------------------------------------------------------------------
    def _box(self, n: int, rng: np.random.Generator, width: float) -> np.ndarray:
        """Uniform goals with |x|, |y| <= width / 2 and z in panda-gym's own goal z-range."""
        low, high = self.goal_task.goal_range_low.copy(), self.goal_task.goal_range_high.copy()
        low[:2], high[:2] = -width / 2, width / 2
        return rng.uniform(low, high, size=(n, 3)) + self.goal_offset

    def _sample_in_distribution(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self._box(n, rng, self.goal_range)  # the same box as panda-gym's own goals

    def _sample_ood(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Rejection sampling: the ``ood_range`` box minus the training box (in x, y)."""
        goals = np.empty((0, 3))
        while len(goals) < n:
            cand = self._box(2 * n + 8, rng, self.ood_range)
            inside = np.all(np.abs(cand[:, :2]) <= self.goal_range / 2, axis=1)
            goals = np.concatenate([goals, cand[~inside]])
        return goals[:n]

    def _on_task_set(self) -> None:
        self.goal_task.goal = self._task.astype(np.float64)
        self.sim.set_base_pose("target", self.goal_task.goal, IDENTITY_QUATERNION)

    def _forget_contacts(self) -> None:
        """Drop the contact points pybullet caches between steps (warm-start impulses).

        They survive ``restore_state`` and teleporting, so without this a seeded reset would
        depend on the previous episode (in the 7th decimal). Move every movable body far away,
        run collision detection once (which discards their contacts), and move them back.
        """
        poses = []
        for k, body in enumerate(self.movable_bodies):
            poses.append(
                (body, self.sim.get_base_position(body), self.sim.get_base_orientation(body))
            )
            self.sim.set_base_pose(body, np.array([10.0 * k, 0.0, -100.0]), IDENTITY_QUATERNION)
        self.sim.physics_client.performCollisionDetection()
        for body, position, orientation in poses:
            self.sim.set_base_pose(body, position, orientation)

    # -- gymnasium API ---------------------------------------------------------------------------
    def _get_obs(self) -> np.ndarray:
        robot_obs = self.robot.get_obs()
        task_obs = self.goal_task.get_obs()  # the object for Push; never the goal
        return np.concatenate([robot_obs, task_obs]).astype(np.float32)

    def _info(self) -> dict[str, Any]:
        """Distance from the achieved goal (ee or object) to the hidden goal, and success."""
        achieved = self.goal_task.get_achieved_goal()
        dist = float(np.linalg.norm(achieved - self.goal_task.goal))
        return {
            "success": dist < self.distance_threshold,
            "task": self._task.copy(),
            "distance": dist,
        }

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Neutral arm (and a random object start for Push); ``options={"task": goal}``."""
        super().reset(seed=seed)
        self.goal_task.np_random = self.np_random  # Push draws the object start from it
        with self.sim.no_rendering():
            self.sim.restore_state(self._fresh_state)
            self._forget_contacts()
            self.robot.reset()
            self.goal_task.reset()  # also draws a random goal, replaced by the task below
            self._task_from_options(options)
            self._on_task_set()  # (re)place the hidden goal, also when the task is unchanged
        return self._get_obs(), self._info()

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Move the end-effector; reward 0 within ``distance_threshold`` of the goal, else -1."""
        self.robot.set_action(np.asarray(action, dtype=np.float32))
        self.sim.step()
        info = self._info()
        achieved, goal = self.goal_task.get_achieved_goal(), self.goal_task.goal
        reward = float(sparse_goal_reward(achieved, goal, self.distance_threshold))
        return self._get_obs(), reward, False, False, info

    def render(self) -> np.ndarray | None:
        """``rgb_array``: a pybullet TinyRenderer frame (panda-gym's default camera)."""
        if self.render_mode != "rgb_array":
            return None
        return self.sim.render(width=self.render_width, height=self.render_height)

    def close(self) -> None:
        self.sim.close()


class PandaReachSparseEnv(PandaSparseEnv):
    """Move the end-effector to a hidden goal. observation (6,): ee position and velocity."""

    def _make_goal_task(self) -> Task:
        return Reach(
            self.sim,
            get_ee_position=self.robot.get_ee_position,
            reward_type="sparse",
            distance_threshold=self.distance_threshold,
            goal_range=self.goal_range,
        )


class PandaPushSparseEnv(PandaSparseEnv):
    """Push a cube to a hidden goal on the table. observation (18,): ee (6) + object (12)."""

    goal_offset = np.array([0.0, 0.0, 0.02])  # the cube's centre rests 2 cm above the table
    movable_bodies = ("panda", "object")

    def _make_goal_task(self) -> Task:
        return Push(
            self.sim,
            reward_type="sparse",
            distance_threshold=self.distance_threshold,
            goal_xy_range=self.goal_range,
            obj_xy_range=self.goal_range,
        )
