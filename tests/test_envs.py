"""Tests of simbelief_edu.envs: the sparse task distributions (book chapter 1).

Panda tests are skipped when panda-gym is not installed.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import simbelief_edu  # noqa: F401  (registers the ids)
from simbelief_edu.envs import (
    ENV_IDS,
    MetaEpisode,
    make,
    plot_trajectory,
    rollout_frames,
    save_gif,
)

NAMES = list(ENV_IDS)
PANDA = ("panda-reach-sparse", "panda-push-sparse")
TASK_DIM = {
    "point-robot-sparse": 2,
    "cheetah-vel-sparse": 1,
    "ant-semicircle-sparse": 2,
    "panda-reach-sparse": 3,
    "panda-push-sparse": 3,
}
OBS_ACT_DIMS = {
    "point-robot-sparse": (2, 2),
    "cheetah-vel-sparse": (17, 6),
    "ant-semicircle-sparse": (29, 8),
    "panda-reach-sparse": (6, 3),
    "panda-push-sparse": (18, 3),
}
SMALL_FRAMES = {
    "point-robot-sparse": {"render_size": 64},
    "cheetah-vel-sparse": {"width": 64, "height": 48},
    "ant-semicircle-sparse": {"width": 64, "height": 48},
    "panda-reach-sparse": {"render_width": 64, "render_height": 48},
    "panda-push-sparse": {"render_width": 64, "render_height": 48},
}


def in_training_range(name: str, tasks: np.ndarray) -> np.ndarray:
    """Row-wise: does a task lie in the range the train/test tasks are drawn from?"""
    if name in ("point-robot-sparse", "ant-semicircle-sparse"):  # upper half circle
        return (tasks[:, 1] >= 0) & np.isclose(np.linalg.norm(tasks, axis=1), 1.0, atol=1e-5)
    if name == "cheetah-vel-sparse":  # v in [0, 3]
        return (tasks[:, 0] >= 0) & (tasks[:, 0] <= 3.0)
    return np.all(np.abs(tasks[:, :2]) <= 0.15 + 1e-6, axis=1)  # panda: 0.3 m box


def make_env(name: str, **kwargs) -> gym.Env:
    if name in PANDA:
        pytest.importorskip("panda_gym")
    return make(name, **kwargs)


def rollout(env: gym.Env, actions: np.ndarray, **reset_kwargs):
    obs, info = env.reset(**reset_kwargs)
    observations, rewards = [obs], []
    for a in actions:
        obs, r, _, _, info = env.step(a)
        observations.append(obs)
        rewards.append(r)
    return np.array(observations), np.array(rewards), info


# -- registration -------------------------------------------------------------------------------
def test_registration_is_cheap_and_complete():
    code = (
        "import sys, gymnasium, simbelief_edu\n"
        "from simbelief_edu.envs import ENV_IDS\n"
        "assert all(i in gymnasium.registry for i in ENV_IDS.values())\n"
        "print(sorted(m for m in ('panda_gym', 'pybullet', 'mujoco') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", NAMES)
def test_check_env_passes(name):
    env = make_env(name, render_mode="rgb_array", **SMALL_FRAMES[name])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)
    # gymnasium's own MuJoCo observation spaces are unbounded; any other warning is a failure
    messages = [str(w.message) for w in caught if "infinity" not in str(w.message)]
    assert messages == []
    obs_dim, act_dim = OBS_ACT_DIMS[name]
    assert env.observation_space.shape == (obs_dim,)
    assert env.action_space.shape == (act_dim,)
    assert env.unwrapped.task_dim == TASK_DIM[name]
    env.close()


def test_full_ids_and_aliases_make_the_same_env():
    assert type(make("point-robot-sparse").unwrapped) is type(
        gym.make("simbelief_edu/PointRobotSparse-v0").unwrapped
    )
    assert make("simbelief_edu/PointRobotSparse-v0").spec.max_episode_steps == 60


# -- sparse rewards at the goal boundary --------------------------------------------------------
@pytest.mark.parametrize(("factor", "inside"), [(0.5, True), (0.99, True), (1.01, False)])
def test_point_robot_reward_at_goal_radius(factor, inside):
    env = make("point-robot-sparse")
    goal = np.array([0.0, 1.0], np.float32)
    env.reset(seed=0, options={"task": goal})
    env.unwrapped.position[:] = goal + [factor * 0.3, 0.0]  # place the robot, then stand still
    obs, reward, terminated, truncated, info = env.step(np.zeros(2, np.float32))
    np.testing.assert_allclose(obs, goal + [factor * 0.3, 0.0], atol=1e-6)
    assert info["success"] is inside
    assert reward == (1.0 if inside else 0.0)
    assert not terminated and not truncated
    np.testing.assert_array_equal(info["task"], goal)


@settings(max_examples=25, deadline=None)
@given(arrays(np.float32, (20, 2), elements=st.floats(-3, 3, width=32)))
def test_point_robot_moves_by_linearly_scaled_steps(actions):
    env = make("point-robot-sparse")
    goal = np.array([0.6, 0.8], np.float32)
    obs, rewards, _ = rollout(env, actions, seed=0, options={"task": goal})
    steps = 0.1 * np.clip(actions, -1, 1)  # linear in a inside [-1, 1]: s' − s tells a back
    np.testing.assert_allclose(
        obs, obs[0] + np.concatenate([np.zeros((1, 2)), np.cumsum(steps, 0)]), atol=1e-5
    )
    dist = np.linalg.norm(obs[1:] - goal, axis=1)
    clear = np.abs(dist - 0.3) > 1e-5  # away from float32 rounding at the boundary
    np.testing.assert_array_equal(rewards[clear], (dist <= 0.3)[clear].astype(float))


def test_point_robot_starts_in_the_box_and_off_the_circle():
    env = make("point-robot-sparse")
    starts = np.array([env.reset(seed=s)[0] for s in range(300)])
    assert (starts[:, 0] >= -1.5).all() and (starts[:, 0] <= 1.5).all()
    assert (starts[:, 1] >= -0.5).all() and (starts[:, 1] <= 1.5).all()
    assert (np.abs(np.linalg.norm(starts, axis=1) - 1.0) > 0.3).all()  # in no goal's radius
    assert starts.std(0).min() > 0.4  # spread over the box, not a fixed point
    np.testing.assert_array_equal(env.reset(seed=7)[0], env.reset(seed=7)[0])


@pytest.mark.parametrize(("offset", "inside"), [(0.9, True), (-0.9, True), (1.1, False)])
def test_cheetah_reward_at_velocity_threshold(offset, inside):
    env = make("cheetah-vel-sparse")
    action = np.full(6, 0.5, np.float32)
    env.reset(seed=3, options={"task": [1.0]})
    v = env.step(action)[4]["x_velocity"]  # the velocity this seed and action produce
    env.reset(seed=3, options={"task": [v + offset * 0.5]})
    _, reward, _, _, info = env.step(action)
    assert info["x_velocity"] == v
    assert info["success"] is inside
    ctrl = -0.05 * float(np.sum(action**2))  # the authors' control cost
    goal = 2.0 - abs(offset) * 0.5 if inside else 0.0  # 2 - |v_x - v| inside the band
    assert reward == pytest.approx(goal + ctrl)


@pytest.mark.parametrize(("factor", "inside"), [(0.5, True), (1.3, False)])
def test_ant_reward_at_goal_radius(factor, inside):
    env = make("ant-semicircle-sparse")
    goal = np.array([0.0, 1.0])
    env.reset(seed=0, options={"task": goal})
    ant = env.unwrapped
    qpos = ant.data.qpos.copy()
    qpos[:2] = goal + [factor * 0.2, 0.0]  # place the torso
    ant.set_state(qpos, np.zeros_like(ant.data.qvel))
    obs, reward, terminated, _, info = env.step(np.zeros(8, np.float32))
    xy = np.array([info["x_position"], info["y_position"]])
    np.testing.assert_allclose(obs[:2], xy)  # x, y are in the observation
    assert abs(np.linalg.norm(xy - goal) - factor * 0.2) < 0.02  # it barely moved
    assert info["success"] is inside
    dense = info["reward_ctrl"] + info["reward_contact"] + info["reward_survive"]
    assert reward == pytest.approx(float(inside) + dense)
    assert not terminated


def test_ant_never_terminates():
    env = make("ant-semicircle-sparse")
    env.reset(seed=0)
    ant = env.unwrapped
    qpos = ant.data.qpos.copy()
    qpos[2] = 2.0  # above Ant-v5's healthy z range (0.2, 1.0): unhealthy
    ant.set_state(qpos, ant.data.qvel)
    _, reward, terminated, _, info = env.step(np.zeros(8, np.float32))
    assert not terminated and info["reward_survive"] == 0.0


@pytest.mark.parametrize("name", PANDA)
@pytest.mark.parametrize(("offset", "inside"), [(0.03, True), (0.07, False)])
def test_panda_reward_at_distance_threshold(name, offset, inside):
    env = make_env(name)
    obs, _ = env.reset(seed=0)
    achieved = obs[:3] if name == "panda-reach-sparse" else obs[6:9]  # ee or object
    task = achieved + np.array([offset, 0.0, 0.0], np.float32)
    env.reset(seed=0, options={"task": task})
    obs, reward, terminated, _, info = env.step(np.zeros(3, np.float32))
    assert abs(info["distance"] - offset) < 0.01
    assert info["success"] is inside
    assert reward == (0.0 if inside else -1.0)
    assert not terminated  # fixed horizon, no termination on success


@pytest.mark.parametrize("name", NAMES)
def test_goal_is_hidden_from_the_observation(name):
    env = make_env(name)
    a, b = env.unwrapped.sample_tasks(2, "test", np.random.default_rng(0))
    obs_a, info_a = env.reset(seed=5, options={"task": a})
    obs_b, info_b = env.reset(seed=5, options={"task": b})
    np.testing.assert_array_equal(obs_a, obs_b)
    np.testing.assert_array_equal(info_a["task"], a)
    np.testing.assert_array_equal(info_b["task"], b)
    np.testing.assert_array_equal(env.unwrapped.task, b)


# -- task splits --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_splits_are_disjoint_and_ood_is_outside(name):
    u = make_env(name).unwrapped
    rng = np.random.default_rng(0)
    train, test = u.task_pools["train"], u.task_pools["test"]
    assert train.shape == (80, TASK_DIM[name]) and test.shape == (20, TASK_DIM[name])
    assert train.dtype == np.float32
    assert not {tuple(t) for t in train} & {tuple(t) for t in test}
    assert in_training_range(name, np.concatenate([train, test])).all()
    # n == pool size: a permutation of the pool; n < pool size: distinct pool members
    perm = u.sample_tasks(80, "train", rng)
    assert sorted(map(tuple, perm)) == sorted(map(tuple, train))
    some = u.sample_tasks(15, "test", rng)
    assert len({tuple(t) for t in some}) == 15 and {tuple(t) for t in some} <= set(map(tuple, test))
    assert u.sample_tasks(30, "test", rng).shape == (30, TASK_DIM[name])  # with replacement
    ood = u.sample_tasks(200, "ood", rng)
    assert ood.shape == (200, TASK_DIM[name]) and ood.dtype == np.float32
    assert not in_training_range(name, ood).any()


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_tasks_and_rollouts(name):
    env_a, env_b = make_env(name), make_env(name)
    for split in ("train", "test", "ood"):
        np.testing.assert_array_equal(
            env_a.unwrapped.sample_tasks(5, split, np.random.default_rng(1)),
            env_b.unwrapped.sample_tasks(5, split, np.random.default_rng(1)),
        )
    actions = np.random.default_rng(0).uniform(-1, 1, (25, env_a.action_space.shape[0]))
    obs_a, rew_a, info_a = rollout(env_a, actions.astype(np.float32), seed=7)
    obs_b, rew_b, info_b = rollout(env_b, actions.astype(np.float32), seed=7)
    np.testing.assert_array_equal(info_a["task"], info_b["task"])  # first reset: a train task
    np.testing.assert_array_equal(obs_a, obs_b)
    np.testing.assert_array_equal(rew_a, rew_b)
    other = make_env(name, task_seed=1).unwrapped.task_pools["train"]
    assert not np.array_equal(other, env_a.unwrapped.task_pools["train"])


def test_reset_without_options_keeps_the_task():
    env = make("point-robot-sparse")
    _, info = env.reset(seed=0)
    first = info["task"]
    assert any(np.array_equal(first, t) for t in env.unwrapped.task_pools["train"])
    _, info = env.reset()
    np.testing.assert_array_equal(info["task"], first)


# -- the BAMDP meta-episode ---------------------------------------------------------------------
def test_meta_episode_boundaries():
    k, horizon = 3, 60
    env = MetaEpisode(make("point-robot-sparse"), episodes_per_task=k)
    goal = np.array([-0.6, 0.8], np.float32)
    obs, info = env.reset(seed=0, options={"task": goal})
    assert info["episode_index"] == 0 and env.horizon == horizon
    actions = np.random.default_rng(0).uniform(-1, 1, (k * horizon, 2)).astype(np.float32)
    position = obs.astype(float)
    for t, a in enumerate(actions):
        obs, _, terminated, truncated, info = env.step(a)
        position += 0.1 * a
        last_step = t == k * horizon - 1
        episode_done = (t + 1) % horizon == 0
        assert info["episode_done"] is episode_done
        assert info["episode_index"] == (k - 1 if last_step else (t + 1) // horizon)
        np.testing.assert_array_equal(info["task"], goal)
        assert not terminated and truncated is last_step
        if episode_done:  # final_obs is the true s'; the returned obs starts the next episode
            np.testing.assert_allclose(info["final_obs"], position, atol=1e-5)
            if not last_step:  # a fresh start in the same task
                assert abs(np.linalg.norm(obs) - 1.0) > 0.3
            position = obs.astype(float)
        else:
            np.testing.assert_allclose(obs, position, atol=1e-5)


def test_meta_episode_length_on_mujoco():
    env = make("cheetah-vel-sparse", episodes_per_task=2)
    assert isinstance(env, MetaEpisode)
    _, info = env.reset(seed=0, options={"task": [2.0]})
    steps, truncated = 0, False
    while not truncated:
        _, _, _, truncated, info = env.step(env.action_space.sample())
        steps += 1
        assert info["task"][0] == pytest.approx(2.0)
    assert steps == 2 * 200


# -- bad inputs ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "kwargs", "arg"),
    [
        ("point-robot-sparse", {"goal_radius": -0.1}, "goal_radius"),
        ("cheetah-vel-sparse", {"vel_threshold": -1.0}, "vel_threshold"),
        ("ant-semicircle-sparse", {"goal_radius": -1.0}, "goal_radius"),
        ("panda-reach-sparse", {"distance_threshold": -0.05}, "distance_threshold"),
        ("point-robot-sparse", {"n_train_tasks": 0}, "n_train_tasks"),
    ],
)
def test_bad_constructor_args_name_the_argument(name, kwargs, arg):
    if name in PANDA:
        pytest.importorskip("panda_gym")
    with pytest.raises(ValueError, match=arg):
        make(name, **kwargs)


def test_bad_calls_name_the_argument():
    env = make("point-robot-sparse")
    with pytest.raises(ValueError, match="split"):
        env.unwrapped.sample_tasks(3, "validation")
    with pytest.raises(ValueError, match="n must"):
        env.unwrapped.sample_tasks(-1, "train")
    with pytest.raises(ValueError, match="task"):
        env.reset(options={"task": [0.1, 0.2, 0.3]})
    with pytest.raises(ValueError, match="task"):
        env.reset(options={"task": [np.nan, 0.0]})
    with pytest.raises(ValueError, match="episodes_per_task"):
        MetaEpisode(env, episodes_per_task=0)


def test_unknown_name_lists_the_available_ids():
    with pytest.raises(ValueError, match="unknown environment") as err:
        make("point-robot-dense")
    for alias, env_id in ENV_IDS.items():
        assert alias in str(err.value) and env_id in str(err.value)


def test_panda_without_panda_gym_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "panda_gym", None)  # makes `import panda_gym` fail
    monkeypatch.delitem(sys.modules, "simbelief_edu.envs.panda_sparse", raising=False)
    for name in PANDA:
        with pytest.raises(ImportError, match=r'pip install "panda-gym>=3.0.7"'):
            make(name)


# -- rendering ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_rgb_array_render(name):
    env = make_env(name, render_mode="rgb_array", **SMALL_FRAMES[name])
    env.reset(seed=0)
    env.step(env.action_space.sample())
    frame = env.render()
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8
    assert frame.shape[:2] == ((64, 64) if name == "point-robot-sparse" else (48, 64))
    assert frame.std() > 5  # not a blank image
    env.close()


def test_rollout_frames_and_gif(tmp_path):
    import imageio.v3 as iio

    env = make("point-robot-sparse", render_mode="rgb_array", render_size=64)
    frames = rollout_frames(env, lambda obs: np.array([-obs[1], obs[0]]), seed=0)  # circles
    assert len(frames) == 61  # the reset frame + 60 steps, then truncation
    assert len(rollout_frames(env, np.zeros((5, 2), np.float32))) == 6
    gif = iio.imread(save_gif(frames, tmp_path / "rollout.gif", fps=10), index=None)
    distinct = 1 + sum(not np.array_equal(a, b) for a, b in zip(frames, frames[1:], strict=False))
    assert distinct > 30  # the point moves on screen
    assert gif.shape[0] == distinct and gif.shape[1:3] == (64, 64)  # GIF drops repeated frames
    with pytest.raises(ValueError, match="render_mode"):
        rollout_frames(make("point-robot-sparse"), np.zeros((2, 2)))


def test_plot_trajectory_draws_on_axes():
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    out = plot_trajectory(ax, np.array([[0, 0], [0.1, 0.3], [0.2, 0.7]]), goal=[0.0, 1.0])
    assert out is ax
    assert len(ax.lines) >= 4 and len(ax.patches) == 1  # arena, goal, path, end; radius disc


def test_only_the_settotalmass_notice_is_silenced(capfd):
    import mujoco

    make("cheetah-vel-sparse")  # compiles half_cheetah.xml, whose settotalmass MuJoCo flags
    assert "settotalmass" not in capfd.readouterr().err
    mujoco.get_mju_user_warning()("something else went wrong")
    assert "WARNING: something else went wrong" in capfd.readouterr().err


def test_making_a_panda_env_prints_nothing():
    """pybullet writes its build time and connection options from C; a notebook would show
    them (and Jupyter Book fails its -W build on the stderr line)."""
    pytest.importorskip("panda_gym")
    code = "from simbelief_edu.envs import make; make('panda-reach-sparse').reset(seed=0)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "" and out.stderr == "", out.stdout + out.stderr
