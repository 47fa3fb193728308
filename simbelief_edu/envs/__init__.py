"""Sparse-reward task distributions with the gymnasium API (book chapter 1).

Importing this package registers five gymnasium ids (see ``ENV_IDS``)::

    import simbelief_edu
    from simbelief_edu.envs import make, MetaEpisode

    env = make("point-robot-sparse")               # == gymnasium.make(ENV_IDS[...])
    tasks = env.unwrapped.sample_tasks(5, "train", np.random.default_rng(0))
    obs, info = env.reset(seed=0, options={"task": tasks[0]})
    meta_env = MetaEpisode(env, episodes_per_task=2)  # one BAMDP meta-episode = 2 episodes

The MuJoCo and Panda classes are not imported here (``mujoco_sparse``, ``panda_sparse``), so
registration stays cheap and works without panda-gym installed.
"""

from simbelief_edu.envs.meta_episode import MetaEpisode
from simbelief_edu.envs.point_robot import PointRobotSparseEnv
from simbelief_edu.envs.registry import (
    ENV_IDS,
    PANDA_HINT,
    make,
    register_envs,
    resolve_env_id,
)
from simbelief_edu.envs.render import plot_trajectory, rollout_frames, save_gif
from simbelief_edu.envs.tasks import SPLITS, TaskDistribution

register_envs()

__all__ = [
    "ENV_IDS",
    "PANDA_HINT",
    "SPLITS",
    "MetaEpisode",
    "PointRobotSparseEnv",
    "TaskDistribution",
    "make",
    "plot_trajectory",
    "register_envs",
    "resolve_env_id",
    "rollout_frames",
    "save_gif",
]
