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


def test_played_meta_episode_records_the_beliefs_the_encoder_computes(trained_run, tmp_path):
    """``h[t]`` is the GRU state after t steps: the same as running the encoder over the
    recorded transitions in one pass; ``next_obs`` and ``starts`` rebuild the paths."""
    import torch

    run, out = trained_run
    agent = load_agent(export_agent(out, tmp_path / "agent.pt"))
    played = play_meta_episode(agent, agent.tasks["test"][1])
    T, k = len(played["rew"]), agent.cfg.episodes_per_task
    assert len(played["next_obs"]) == T and len(played["h"]) == T + 1 and len(played["starts"]) == k
    h = agent.agent.initial_hidden(1)
    for t in range(T):
        assert torch.allclose(played["h"][t], h[0], atol=1e-6), t
        next_obs = torch.as_tensor(played["next_obs"][t], dtype=torch.float32)[None]
        rew = torch.tensor([[played["rew"][t]]])
        with torch.no_grad():
            h = agent.agent.step(h, next_obs, played["act"][t][None], rew)
    assert torch.allclose(played["h"][T], h[0], atol=1e-6)
    H = T // k
    for e in range(1, k):  # each later episode starts away from where the last one ended
        assert not np.allclose(played["starts"][e], played["next_obs"][e * H - 1])


def test_reward_map_and_adaptation_panels(trained_run, tmp_path):
    from simbelief_edu.viz import adaptation_panels, reward_map

    run, out = trained_run
    agent = load_agent(export_agent(out, tmp_path / "agent.pt"))
    played, steps = adaptation_panels(agent, task_index=0)
    T = len(played["rew"])
    assert list(steps.values()) == sorted(steps.values()) and steps["end"] == T
    assert steps["end of episode 1"] == T // agent.cfg.episodes_per_task
    rewarded = np.flatnonzero(np.array(played["rew"]) > 0)
    assert ("first reward" in steps) == bool(len(rewarded))
    image = reward_map(agent, played["h"][T], extent=1.3, n=21)
    assert image.shape == (21, 21)
    assert np.isnan(image[0, 0]) and np.isfinite(image[10, 10])  # outside / inside the disc
    other = reward_map(agent, played["h"][0], extent=1.3, n=21)
    assert not np.allclose(image[np.isfinite(image)], other[np.isfinite(other)])
