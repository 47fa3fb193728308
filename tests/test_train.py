"""The training loop: determinism, resume, checkpoints, errors, CLI, every env end to end."""

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from simbelief_edu.cli import main as cli
from simbelief_edu.configs import make_config
from simbelief_edu.train import CHECKPOINT, Run, load_run, resume, train


def _params(run: Run) -> list[torch.Tensor]:
    """Every network parameter of a run, and the exploration bonus's state when it has one."""
    rnd = [] if run.rnd is None else list(run.rnd.state_dict().values())
    return [p.detach().clone() for p in (*run.agent.parameters(), *run.sac.parameters(), *rnd)]


def test_same_seed_gives_identical_metrics(tmp_path):
    cfg = make_config("point-robot-sparse", "smoke", "simbelief", seed=3)
    a = train(cfg, tmp_path / "a", progress=False)
    b = train(cfg, tmp_path / "b", progress=False)
    strip = lambda h: [{k: v for k, v in r.items() if k != "wall_time"} for r in h]  # noqa: E731
    assert strip(a.history) == strip(b.history)
    assert all(torch.equal(p, q) for p, q in zip(_params(a), _params(b), strict=True))
    c = train(dataclasses.replace(cfg, seed=4), tmp_path / "c", progress=False)
    assert not all(torch.equal(p, q) for p, q in zip(_params(a), _params(c), strict=True))


@pytest.mark.parametrize(
    "agent, bonus", [("simbelief", 0.0), ("varibad", 0.0), ("simbelief", 0.5), ("varibad", 0.5)]
)
def test_killed_and_resumed_run_ends_like_an_uninterrupted_one(tmp_path, agent, bonus):
    """A run killed after iteration 2 and resumed ends exactly as one never stopped, with the
    exploration bonus too (its networks, running statistics and optimiser are checkpointed)."""
    cfg = make_config("point-robot-sparse", "smoke", agent, num_iters=4, checkpoint_every=2,
                      exploration_bonus=bonus)  # fmt: skip
    whole = train(cfg, tmp_path / "whole", progress=False)
    train(cfg, tmp_path / "split", stop_after=2, progress=False)  # "killed" after iteration 2
    assert load_run(tmp_path / "split").iteration == 2
    resumed = resume(tmp_path / "split", progress=False)
    strip = lambda h: [{k: v for k, v in r.items() if k != "wall_time"} for r in h]  # noqa: E731
    assert strip(resumed.history) == strip(whole.history)
    assert all(torch.equal(p, q) for p, q in zip(_params(whole), _params(resumed), strict=True))
    assert (tmp_path / "split" / "metrics.csv").read_text().count("\n") == len(whole.history) + 1


def test_checkpoint_loads_with_weights_only(tmp_path):
    train(make_config("point-robot-sparse", "smoke"), tmp_path, progress=False)
    state = torch.load(tmp_path / CHECKPOINT, weights_only=True)
    assert state["iteration"] == 3 and "agent" in state and "buffer" in state


def test_resume_without_a_checkpoint_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        resume(tmp_path / "empty")


def test_more_train_tasks_than_the_pool_is_an_error():
    with pytest.raises(ValueError, match="num_train_tasks=81 exceeds the 80 train tasks"):
        Run(make_config("point-robot-sparse", "smoke", num_train_tasks=81))


@pytest.mark.parametrize("method, term", [("loss", "kl"), ("latent_loss", "metric")])
def test_nan_loss_stops_training_naming_loss_and_iteration(tmp_path, monkeypatch, method, term):
    from simbelief_edu.agents.simbelief import SimBelief

    original = getattr(SimBelief, method)

    def poisoned(self, batch):
        loss, logs = original(self, batch)
        logs[term] = torch.tensor(float("nan"))
        return loss, logs

    monkeypatch.setattr(SimBelief, method, poisoned)
    with pytest.raises(FloatingPointError, match=f"{term} loss is nan at iteration 0"):
        train(make_config("point-robot-sparse", "smoke"), tmp_path, progress=False)


@pytest.mark.parametrize("agent", ["simbelief", "varibad"])
def test_rl_updates_do_not_change_the_specific_belief(agent):
    """SAC (and SimBelief's latent step inside it) never trains the GRU encoder or the reward
    decoder: the specific belief learns from the ELBO alone."""
    run = Run(make_config("point-robot-sparse", "smoke", agent))
    run.collect(np.arange(4), random=True)
    vae = [*run.agent.encoder.parameters(), *run.agent.reward_decoder.parameters()]
    before = [p.detach().clone() for p in vae]
    sac_before = [p.detach().clone() for p in run.sac.actor.parameters()]
    head_before = [
        p.detach().clone() for p in getattr(run.agent, "latent_head", nn.Linear(1, 1)).parameters()
    ]
    run.update_policy()
    assert all(torch.equal(p, q) for p, q in zip(before, vae, strict=True))
    assert not all(
        torch.equal(p, q) for p, q in zip(sac_before, run.sac.actor.parameters(), strict=True)
    )
    if agent == "simbelief":  # the latent step trains the latent belief head
        head = run.agent.latent_head.parameters()
        assert not all(torch.equal(p, q) for p, q in zip(head_before, head, strict=True))


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(num_iters=0), "num_iters must be positive"),
        (dict(rl_updates_per_iter=-5), "rl_updates_per_iter must be positive"),
        (dict(gamma=1.0), "gamma must be in"),
        (dict(num_iters=2.5), "num_iters must be an int"),
        (dict(exploration_bonus=-1.0), "exploration_bonus must be non-negative"),
        (dict(bogus=1), "unknown config field"),
    ],
)
def test_bad_config_values_are_named(overrides, message):
    with pytest.raises(ValueError, match=message):
        make_config("point-robot-sparse", "smoke", **overrides)


def test_unknown_env_agent_scale_are_named():
    with pytest.raises(ValueError, match="unknown env 'nope'"):
        make_config("nope")
    with pytest.raises(ValueError, match="unknown agent 'ppo'"):
        make_config("point-robot-sparse", "smoke", "ppo")
    with pytest.raises(ValueError, match="unknown scale 'huge'"):
        make_config("point-robot-sparse", "huge")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--env", "nope", "--out", "x"], "invalid choice: 'nope'"),
        (["train", "--agent", "ppo", "--out", "x"], "invalid choice: 'ppo'"),
        (["train", "--scale", "huge", "--out", "x"], "invalid choice: 'huge'"),
        (["train", "--stop-after", "-1", "--out", "x"], "--stop-after must be >= 1"),
        (["train", "--set", "num_iters=-3", "--out", "OUT"], "num_iters must be positive"),
        (["train", "--set", "nope=3", "--out", "x"], "unknown config field 'nope'"),
        (["train", "--seed", "-1", "--out", "x"], "--seed must be non-negative"),
        (["eval", "MISSING"], "no checkpoint at"),
        (["train", "--set", "autotune_alpha=maybe", "--out", "x"], "autotune_alpha needs a bool"),
        (["train", "--resume", "x", "--set", "num_iters=5"], "--resume continues a run"),
        (["train", "--resume", "x", "--seed", "0"], "drop --seed"),
    ],
)
def test_cli_bad_values_give_one_line_errors(argv, message, capsys, tmp_path):
    argv = [str(tmp_path / a) if a in ("OUT", "MISSING") else a for a in argv]
    try:
        code = cli(argv)
    except SystemExit as exit_:  # argparse errors
        code = exit_.code
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert code == 2 and "error:" in last and message in last
    assert "Traceback" not in err


def test_cli_train_resume_and_eval(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli(["train", "--scale", "smoke", "--out", str(out), "--stop-after", "1"]) == 0
    assert cli(["train", "--resume", str(out)]) == 0
    assert load_run(out).iteration == 3
    assert cli(["eval", str(out)]) == 0
    import json

    result = json.loads((out / "eval.json").read_text())
    assert len(result["test"]["success"]) == 2 and len(result["ood"]["return"]) == 2
    # the scores' tasks are recorded in the order scored, and tools/eval_tasks.py, which adds
    # them to runs evaluated before they were recorded, recomputes exactly those
    run_tasks = load_run(out).tasks
    for split in ("test", "ood"):
        assert np.array_equal(np.array(result[split]["tasks"], np.float32), run_tasks[split])
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    import eval_tasks

    stripped = dict(result)
    stripped["test"] = {k: v for k, v in result["test"].items() if k != "tasks"}
    (out / "eval.json").write_text(json.dumps(stripped))
    assert eval_tasks.fill(out / "eval.json") and not eval_tasks.fill(out / "eval.json")
    assert json.loads((out / "eval.json").read_text())["test"] == result["test"]
    assert "simbelief-edu train --scale smoke" in (out / "commands.txt").read_text()
    # an exported agent evaluates to the same numbers as its run
    assert cli(["export", str(out), "--out", str(tmp_path / "agent.pt")]) == 0
    assert cli(["eval", str(tmp_path / "agent.pt")]) == 0
    exported = json.loads((tmp_path / "agent.eval.json").read_text())
    assert exported["test"] == result["test"] and exported["ood"] == result["ood"]


@pytest.mark.parametrize(
    "env",
    ["cheetah-vel-sparse", "ant-semicircle-sparse", "panda-reach-sparse", "panda-push-sparse"],
)
def test_every_env_trains_end_to_end_at_smoke_scale(env, tmp_path):
    if env.startswith("panda"):
        pytest.importorskip("panda_gym")
    cfg = make_config(env, "smoke", num_iters=2, num_train_tasks=4, num_test_tasks=2,
                      belief_batch_tasks=4)  # fmt: skip
    run = train(cfg, tmp_path, progress=False)
    assert run.iteration == 2 and len(run.history) == 1
    assert run.buffer.count.sum() == 4 + 2 * cfg.tasks_per_iter


def test_refreshed_hidden_states_equal_the_online_belief_of_the_current_encoder():
    run = Run(make_config("point-robot-sparse", "smoke"))
    run.collect(np.arange(4))
    stored = run.buffer.data["h"][:4, 0].clone()  # [4, T+1, H]
    run.buffer.refresh_hidden(run.agent)  # same encoder: same states as collected online
    assert torch.allclose(run.buffer.data["h"][:4, 0], stored, atol=1e-5)
    with torch.no_grad():
        for p in run.agent.parameters():
            p.add_(0.1)
    run.buffer.refresh_hidden(run.agent)
    refreshed = run.buffer.data["h"][:4, 0]
    assert not torch.allclose(refreshed, stored, atol=1e-3)
    d = run.buffer.data  # the online belief of the changed encoder, step by step
    h = run.agent.initial_hidden(4)
    for t in range(run.buffer.T):
        assert torch.allclose(h, refreshed[:, t], atol=1e-5)
        h = run.agent.step(h, d["next_obs"][:4, 0, t], d["act"][:4, 0, t], d["rew"][:4, 0, t, None])
    assert torch.allclose(h, refreshed[:, -1], atol=1e-5)


def test_sac_batch_pairs_tasks_at_matched_time_steps():
    run = Run(make_config("point-robot-sparse", "smoke"))
    run.collect(np.arange(4), random=True)
    buf = run.buffer
    # mark every stored step with its time index t plus 1000 × the task
    buf.data["rew"][:4] = torch.arange(buf.T) + 1000.0 * torch.arange(4).view(4, 1, 1)
    b = buf.sample_transitions(torch.arange(4), 64)
    t = b["rew"] - 1000.0 * torch.arange(4).view(4, 1)  # [4, 64] time indices
    assert torch.equal(t, t[:1].expand_as(t))  # sample m of every task is at the same step
    assert len(t[0].unique()) > 10  # and the steps themselves are random


def test_sac_batch_reads_one_stored_step_per_sample():
    """Every key of a sample comes from the same stored (task, meta-episode, step): obs, act,
    rew, true next state at t, h at t and t + 1, the next policy state at t + 1 (or the true
    next state at the last step), and only from filled meta-episodes."""
    torch.manual_seed(0)
    from simbelief_edu.rl.buffer import TaskBuffer

    buf = TaskBuffer(5, 3, 7, 2, 1, 4)
    for value in buf.data.values():
        value.copy_(torch.randn_like(value))
    buf.count[:] = torch.tensor([1, 2, 3, 5, 0])
    tasks = torch.tensor([3, 0, 2, 1])
    b = buf.sample_transitions(tasks, 50)
    d = buf.data
    for i, task in enumerate(tasks.tolist()):
        for m in range(50):
            match = (d["obs"][task] == b["obs"][i, m]).all(-1).nonzero()  # (episode, step)
            assert len(match) == 1
            ep, t = match[0].tolist()
            assert ep < min(buf.count[task].item(), buf.capacity)
            assert torch.equal(b["act"][i, m], d["act"][task, ep, t])
            assert b["rew"][i, m] == d["rew"][task, ep, t]
            assert torch.equal(b["true_next_obs"][i, m], d["next_obs"][task, ep, t])
            assert torch.equal(b["h"][i, m], d["h"][task, ep, t])
            assert torch.equal(b["next_h"][i, m], d["h"][task, ep, t + 1])
            policy_next = d["next_obs"][task, ep, t] if t == 6 else d["obs"][task, ep, t + 1]
            assert torch.equal(b["next_obs"][i, m], policy_next)


def _latent_belief_stats(tmp_path, anchor_weight: float) -> dict:
    """Belief statistics (``Run.belief_stats``) after a short SimBelief run."""
    cfg = make_config("point-robot-sparse", "smoke", anchor_weight=anchor_weight, num_iters=12,
                      rl_updates_per_iter=40, belief_updates_per_iter=4, num_train_tasks=16,
                      rl_batch_tasks=8, eval_every=12, seed=0)  # fmt: skip
    return train(cfg, tmp_path / f"anchor{anchor_weight}", progress=False).history[-1]


def test_the_anchor_keeps_the_latent_belief_from_collapsing(tmp_path):
    """The metric loss on samples z ~ b̃ shrinks σ̃ (noise in ‖z_i − z_j‖₁ only adds to its
    error when the target d is small); the anchor KL(b̃ ‖ sg b) holds log σ̃² up. Without the
    anchor it falls towards its clamp at −10 (measured: −7.4 after these 12 iterations, −4.0
    with the anchor)."""
    with_anchor = _latent_belief_stats(tmp_path, 1.0)
    without = _latent_belief_stats(tmp_path, 0.0)
    assert with_anchor["latent_logvar"] > -5.0, with_anchor
    assert without["latent_logvar"] < with_anchor["latent_logvar"] - 2.0, (without, with_anchor)
    assert with_anchor["latent_mu_spread"] > 1e-3  # the means still differ across tasks


def test_env_kwargs_reach_the_environment_everywhere_a_run_makes_one(tmp_path, capsys):
    """A task-family knob given on the command line shapes training, the saved config, resume,
    evaluation and the exported agent: the horizon sets the buffer's meta-episode length."""
    import json

    from simbelief_edu.configs import make_env
    from simbelief_edu.trained import load_agent

    out = tmp_path / "run"
    argv = ["train", "--scale", "smoke", "--out", str(out), "--stop-after", "1",
            "--set", "env_kwargs.horizon=7", "--set", "env_kwargs.goal_radius=0.5"]  # fmt: skip
    assert cli(argv) == 0
    saved = json.loads((out / "config.json").read_text())["env_kwargs"]
    assert saved == {"horizon": 7, "goal_radius": 0.5}
    run = load_run(out)
    assert run.buffer.data["obs"].shape[2] == 7 * run.cfg.episodes_per_task
    assert run.envs[0].horizon == 7 and run.envs[0].unwrapped.goal_radius == 0.5
    assert cli(["train", "--resume", str(out)]) == 0
    assert cli(["export", str(out), "--out", str(tmp_path / "agent.pt")]) == 0
    agent = load_agent(tmp_path / "agent.pt", "cpu")
    assert agent.cfg.env_kwargs == saved
    assert make_env(agent.cfg, episodes_per_task=2).horizon == 7


@pytest.mark.parametrize(
    "env_kwargs, message",
    [
        ({"no_such_knob": 1.0}, "point-robot-sparse takes no argument 'no_such_knob'"),
        ({"horizon": 0}, "horizon must be an integer >= 1"),
        ({"goal_radius": -1.0}, "goal_radius must be a non-negative number"),
    ],
)
def test_bad_env_kwargs_are_named_when_the_run_starts(env_kwargs, message, tmp_path):
    cfg = make_config("point-robot-sparse", "smoke", env_kwargs=env_kwargs)
    with pytest.raises(ValueError, match=message):
        train(cfg, tmp_path, progress=False)


def test_env_kwargs_must_be_a_dict_of_json_values():
    with pytest.raises(ValueError, match="env_kwargs must be a dict"):
        make_config("point-robot-sparse", "smoke", env_kwargs=[1, 2])
    with pytest.raises(ValueError, match=r"env_kwargs\['goal'\] must be a number"):
        make_config("point-robot-sparse", "smoke", env_kwargs={"goal": {"x": 1}})


def test_preset_diff_names_what_an_experiment_changed():
    import dataclasses

    from simbelief_edu.configs import preset_diff

    cfg = make_config("cheetah-vel-sparse", "full", "varibad", seed=3, eval_every=7,
                      num_iters=120, env_kwargs={"horizon": 100})  # fmt: skip
    assert preset_diff(dataclasses.asdict(cfg)) == {"env_kwargs": {"horizon": 100},
                                                    "num_iters": 120}  # fmt: skip
    assert (
        preset_diff(dataclasses.asdict(make_config("point-robot-sparse", "smoke")))["gru_hidden"]
        == 32
    )
