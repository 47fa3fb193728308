"""Point-Robot's task-family knobs for book chapter 10: a dense reward, and a family in which a
fraction of the tasks mirror the action map (tasks without shared dynamics). Their defaults are
the paper's environment, unchanged; each trains, evaluates and exports end to end."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from simbelief_edu.cli import main as cli
from simbelief_edu.envs import make
from simbelief_edu.train import load_run
from simbelief_edu.trained import load_agent


def _rollout(env, actions: np.ndarray, **reset_kwargs) -> tuple[np.ndarray, np.ndarray]:
    obs, _ = env.reset(**reset_kwargs)
    observations, rewards = [obs], []
    for a in actions:
        obs, r, *_ = env.step(a)
        observations.append(obs)
        rewards.append(r)
    return np.array(observations), np.array(rewards)


# -- the dense reward ---------------------------------------------------------------------------
@pytest.mark.parametrize("position", [(0.0, 1.0), (0.1, 1.05), (1.0, 0.0), (-1.2, 0.4)])
def test_dense_reward_is_minus_the_distance_to_the_goal(position):
    env = make("point-robot-sparse", reward="dense")
    goal = np.array([0.0, 1.0], np.float32)
    env.reset(seed=0, options={"task": goal})
    env.unwrapped.position[:] = position  # place the robot, then stand still
    obs, reward, *_, info = env.step(np.zeros(2, np.float32))
    distance = float(np.linalg.norm(np.asarray(position, np.float32) - goal))
    assert reward == pytest.approx(-distance, abs=1e-6)
    assert info["success"] is (distance <= 0.3)  # success is still "inside the goal radius"


def test_sparse_reward_is_the_default_and_unchanged():
    actions = np.random.default_rng(0).uniform(-1, 1, size=(60, 2)).astype(np.float32)
    goal = np.array([0.6, 0.8], np.float32)
    default = _rollout(make("point-robot-sparse"), actions, seed=3, options={"task": goal})
    sparse = _rollout(
        make("point-robot-sparse", reward="sparse"), actions, seed=3, options={"task": goal}
    )
    for a, b in zip(default, sparse, strict=True):
        np.testing.assert_array_equal(a, b)
    observations, rewards = default
    inside = np.linalg.norm(observations[1:] - goal, axis=1) <= 0.3
    np.testing.assert_array_equal(rewards, inside.astype(float))  # 1 inside, 0 elsewhere


# -- mirrored tasks -----------------------------------------------------------------------------
@pytest.mark.parametrize("mirrored, sign", [(1.0, -1.0), (0.0, 1.0)])
def test_a_mirrored_task_flips_the_x_displacement_and_not_y(mirrored, sign):
    env = make("point-robot-sparse", mirrored_fraction=0.5)
    start, _ = env.reset(seed=0, options={"task": [0.0, 1.0, mirrored]})
    action = np.array([0.5, 0.3], np.float32)
    obs, *_ = env.step(action)
    np.testing.assert_allclose(obs - start, [sign * 0.05, 0.03], atol=1e-6)
    obs2, *_ = env.step(np.array([3.0, -3.0], np.float32))  # clipped to [-1, 1] first
    np.testing.assert_allclose(obs2 - obs, [sign * 0.1, -0.1], atol=1e-6)


def test_mirrored_fraction_zero_gives_exactly_todays_task_pools():
    today = make("point-robot-sparse").unwrapped
    zero = make("point-robot-sparse", mirrored_fraction=0.0).unwrapped
    assert zero.task_dim == today.task_dim == 2
    for split in ("train", "test"):
        np.testing.assert_array_equal(zero.task_pools[split], today.task_pools[split])
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    for split in ("train", "test", "ood"):
        np.testing.assert_array_equal(
            zero.sample_tasks(7, split, rng_a), today.sample_tasks(7, split, rng_b)
        )


def test_half_mirrored_pool_has_both_kinds_and_todays_goals():
    env = make("point-robot-sparse", mirrored_fraction=0.5).unwrapped
    today = make("point-robot-sparse").unwrapped
    assert env.task_dim == 3 and type(env).task_dim == 2  # the instance's, not the class's
    pool = np.concatenate([env.task_pools["train"], env.task_pools["test"]])
    assert pool.shape == (100, 3)
    assert set(np.unique(pool[:, 2])) == {0.0, 1.0}
    assert 20 <= pool[:, 2].sum() <= 80  # Bernoulli(0.5) over 100 tasks
    goals = np.concatenate([today.task_pools["train"], today.task_pools["test"]])
    np.testing.assert_array_equal(pool[:, :2], goals)  # the goals are today's
    ood = env.sample_tasks(200, "ood", np.random.default_rng(0))
    assert ood.shape == (200, 3) and set(np.unique(ood[:, 2])) == {0.0, 1.0}
    assert (ood[:, 1] < 0).all()  # OOD goals still on the lower half circle
    every = make("point-robot-sparse", mirrored_fraction=1.0).unwrapped
    assert (every.task_pools["train"][:, 2] == 1.0).all()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"reward": "shaped"}, "reward must be one of 'sparse', 'dense', got 'shaped'"),
        ({"mirrored_fraction": -0.1}, "mirrored_fraction must be a non-negative number"),
        ({"mirrored_fraction": 1.5}, r"mirrored_fraction must be in \[0, 1\], got 1.5"),
        ({"mirrored_fraction": float("nan")}, "mirrored_fraction"),
    ],
)
def test_bad_values_name_the_argument_and_choices(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make("point-robot-sparse", **kwargs)


@pytest.mark.parametrize("kwargs", [{"reward": "dense"}, {"mirrored_fraction": 0.5}])
def test_the_variants_pass_the_gymnasium_checker_and_render(kwargs):
    env = make("point-robot-sparse", render_mode="rgb_array", render_size=64, **kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)
    assert [str(w.message) for w in caught] == []
    env.reset(seed=0)
    env.step(env.action_space.sample())
    assert env.render().shape == (64, 64, 3)


# -- end to end: train, resume, evaluate, export --------------------------------------------------
@pytest.mark.parametrize(
    "knob, agent", [("mirrored_fraction=0.5", "simbelief"), ("reward=dense", "varibad")]
)
def test_a_run_of_each_family_trains_evaluates_and_exports(knob, agent, tmp_path):
    out = tmp_path / "run"
    argv = ["train", "--scale", "smoke", "--agent", agent, "--out", str(out), "--stop-after",
            "2", "--set", f"env_kwargs.{knob}"]  # fmt: skip
    assert cli(argv) == 0
    assert cli(["train", "--resume", str(out)]) == 0
    run = load_run(out)
    task_dim = 3 if knob.startswith("mirrored") else 2
    assert {split: t.shape[1] for split, t in run.tasks.items()} == dict.fromkeys(
        ("train", "test", "ood"), task_dim
    )
    assert cli(["eval", str(out)]) == 0
    result = json.loads((out / "eval.json").read_text())
    if knob == "reward=dense":  # -distance at every step: every return is negative
        assert max(result["test"]["return"] + result["ood"]["return"]) < 0
    assert cli(["export", str(out), "--out", str(tmp_path / "agent.pt")]) == 0
    agent_ = load_agent(tmp_path / "agent.pt")
    assert agent_.tasks["test"].shape[1] == task_dim
    assert cli(["eval", str(tmp_path / "agent.pt")]) == 0
    exported = json.loads((tmp_path / "agent.eval.json").read_text())
    assert exported["test"] == result["test"] and exported["ood"] == result["ood"]
