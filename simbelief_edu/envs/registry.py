"""Gymnasium ids for the sparse task distributions, and ``make`` by short name
(book chapters 1 and 6).

Registration happens on ``import simbelief_edu`` and imports neither MuJoCo nor panda-gym: the
entry points are strings, and the Panda ones go through small factory functions that import
panda-gym only when such an environment is actually made.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator
from typing import Any

import gymnasium as gym

from simbelief_edu.envs.meta_episode import MetaEpisode

ENV_IDS: dict[str, str] = {
    "point-robot-sparse": "simbelief_edu/PointRobotSparse-v0",
    "cheetah-vel-sparse": "simbelief_edu/HalfCheetahVelSparse-v0",
    "ant-semicircle-sparse": "simbelief_edu/AntSemicircleSparse-v0",
    "panda-reach-sparse": "simbelief_edu/PandaReachSparse-v0",
    "panda-push-sparse": "simbelief_edu/PandaPushSparse-v0",
}

# id -> (entry point, steps per episode); horizons as in the authors' code (book chapter 6)
_SPECS: dict[str, tuple[str, int]] = {
    ENV_IDS["point-robot-sparse"]: ("simbelief_edu.envs.point_robot:PointRobotSparseEnv", 60),
    ENV_IDS["cheetah-vel-sparse"]: (
        "simbelief_edu.envs.mujoco_sparse:HalfCheetahVelSparseEnv",
        200,
    ),
    ENV_IDS["ant-semicircle-sparse"]: (
        "simbelief_edu.envs.mujoco_sparse:AntSemicircleSparseEnv",
        200,
    ),
    ENV_IDS["panda-reach-sparse"]: ("simbelief_edu.envs.registry:make_panda_reach", 50),
    ENV_IDS["panda-push-sparse"]: ("simbelief_edu.envs.registry:make_panda_push", 50),
}

PANDA_HINT = 'the Panda environments need panda-gym: pip install "panda-gym>=3.0.7"'


@contextlib.contextmanager
def _quiet_c_output() -> Iterator[None]:
    """Send C-level stdout and stderr to /dev/null: pybullet prints its build time (stderr) on
    import and its connection options (stdout) on connect, which notebooks would show."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        yield
    finally:
        ctypes.CDLL(None).fflush(None)  # C stdio buffers (a pipe's are flushed only at exit)
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)


def _panda_module() -> Any:
    """Import the Panda module, or fail with an install hint if panda-gym is missing."""
    try:
        import panda_gym  # noqa: F401
    except ImportError as err:
        raise ImportError(PANDA_HINT) from err
    from simbelief_edu.envs import panda_sparse

    return panda_sparse


def make_panda_reach(**kwargs: Any) -> gym.Env:
    """Entry point of ``simbelief_edu/PandaReachSparse-v0`` (imports panda-gym lazily)."""
    with _quiet_c_output():
        return _panda_module().PandaReachSparseEnv(**kwargs)


def make_panda_push(**kwargs: Any) -> gym.Env:
    """Entry point of ``simbelief_edu/PandaPushSparse-v0`` (imports panda-gym lazily)."""
    with _quiet_c_output():
        return _panda_module().PandaPushSparseEnv(**kwargs)


# gymnasium.make reads the render modes from the entry point's metadata
make_panda_reach.metadata = make_panda_push.metadata = {  # type: ignore[attr-defined]
    "render_modes": ["rgb_array"],
    "render_fps": 25,
}


def register_envs() -> None:
    """Register every id with gymnasium (idempotent)."""
    for env_id, (entry_point, horizon) in _SPECS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point, max_episode_steps=horizon)


def resolve_env_id(name: str) -> str:
    """Map a short alias (``"point-robot-sparse"``) or a full id to the full gymnasium id."""
    if name in ENV_IDS:
        return ENV_IDS[name]
    if name in ENV_IDS.values():
        return name
    available = ", ".join([*ENV_IDS, *ENV_IDS.values()])
    raise ValueError(f"unknown environment name {name!r}; available: {available}")


def make(
    name: str, *, episodes_per_task: int | None = None, horizon: int | None = None, **kwargs: Any
) -> gym.Env:
    """``gymnasium.make`` by alias or id; ``episodes_per_task=k`` wraps it in a MetaEpisode.

    ``horizon`` replaces the registered steps per episode; ``kwargs`` go to the environment
    constructor (e.g. ``render_mode="rgb_array"``, ``goal_radius=0.3``, ``task_seed=1``). An
    argument the environment does not take is a ``ValueError`` that names it.
    """
    env_id = resolve_env_id(name)
    if horizon is not None and (isinstance(horizon, bool) or not isinstance(horizon, int)
                                or horizon < 1):  # fmt: skip
        raise ValueError(f"horizon must be an integer >= 1, got {horizon!r}")
    try:
        env = gym.make(env_id, max_episode_steps=horizon, **kwargs)
    except TypeError as err:
        if "unexpected keyword argument" not in str(err):
            raise
        word = str(err).split("unexpected keyword argument")[1].split()[0]
        raise ValueError(f"{name} takes no argument {word}: {err}") from None
    return env if episodes_per_task is None else MetaEpisode(env, episodes_per_task)
