"""Tests of simbelief_edu.trained: exported agents evaluate like their runs, and films."""

from __future__ import annotations

import numpy as np
import pytest

from simbelief_edu.configs import make_config
from simbelief_edu.train import train
from simbelief_edu.trained import export_agent, load_agent, meta_episode_gif, play_meta_episode


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    cfg = make_config("point-robot-sparse", "smoke", seed=3, num_iters=2)
    return train(cfg, out, progress=False), out


def test_exported_agent_meta_tests_exactly_like_its_run(trained_run, tmp_path):
    run, out = trained_run
    path = export_agent(out, tmp_path / "agent.pt")
    assert path.stat().st_size < (out / "checkpoint.pt").stat().st_size / 5
    loaded = load_agent(path)
    assert loaded.iteration == run.iteration and loaded.cfg == run.cfg
    for split in ("train", "test", "ood"):
        np.testing.assert_array_equal(loaded.tasks[split], run.tasks[split])
    for split in ("test", "ood"):
        assert loaded.evaluate(split, 2) == run.evaluate(split, 2)


def test_a_training_checkpoint_is_not_an_exported_agent(trained_run):
    with pytest.raises(ValueError, match="not an exported agent"):
        load_agent(trained_run[1] / "checkpoint.pt")
    with pytest.raises(FileNotFoundError, match="no exported agent"):
        load_agent(trained_run[1] / "missing.pt")


def test_meta_episode_gif_films_both_episodes(trained_run, tmp_path):
    import imageio.v3 as iio

    path = export_agent(trained_run[1], tmp_path / "agent.pt")
    loaded = load_agent(path)
    played = play_meta_episode(loaded, loaded.tasks["test"][0], render_every=4, render_size=64)
    T = 2 * 60  # two episodes of 60 steps
    assert len(played["rew"]) == T and len(played["info"]) == T
    assert len(played["frames"]) == 1 + T // 4 and played["frames"][0].shape == (64, 64, 3)
    assert not np.array_equal(played["frames"][1], played["frames"][-1])  # the robot moved
    gif, info = meta_episode_gif(path, tmp_path / "pr.gif", every=4, render_size=64)
    assert iio.imread(gif).shape[1:3] == (64, 64)
    assert info["steps"] == T and len(info["return"]) == 2 and len(info["success"]) == 2
    # the same meta-episode as the un-rendered one: deterministic policy, same task and seed
    assert sum(info["return"]) == pytest.approx(sum(played["rew"]))
    quiet = play_meta_episode(loaded, loaded.tasks["test"][0])
    assert quiet["rew"] == played["rew"] and quiet["frames"] == []
