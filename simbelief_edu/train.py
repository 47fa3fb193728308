"""The meta-training loop (method.md §3), the same for both agents.

Per iteration: (1) collect one meta-episode in each of ``tasks_per_iter`` train tasks with the
current policy, beliefs updated online; (2) ``belief_updates_per_iter`` steps on the belief
models, then (every ``refresh_beliefs_every`` iterations) recompute the belief features stored
in the buffer with the updated encoder; (3) ``rl_updates_per_iter`` SAC steps on
[tasks × transitions] batches of those features (detached: RL never trains the belief); (4) every
``eval_every`` iterations, meta-test on the held-out tasks. Checkpoints hold everything a
resumed run needs to continue exactly where a killed one stopped.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from simbelief_edu.agents import make_agent
from simbelief_edu.configs import Config
from simbelief_edu.envs import make
from simbelief_edu.evaluate import episode_metrics, meta_test, run_meta_episodes
from simbelief_edu.rl.buffer import TaskBuffer
from simbelief_edu.rl.sac import SAC
from simbelief_edu.runtime import seed_everything

CHECKPOINT = "checkpoint.pt"


def check_finite(name: str, value: float, iteration: int) -> None:
    """Stop training with an error naming the loss when it is NaN or infinite."""
    if not np.isfinite(value):
        raise FloatingPointError(f"{name} loss is {value} at iteration {iteration}")


class Run:
    """Everything a training run holds: envs, tasks, agent, SAC, buffer, optimiser, history."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.rng = seed_everything(cfg.seed)
        n_envs = max(cfg.tasks_per_iter, cfg.num_test_tasks)
        self.envs = [make(cfg.env, episodes_per_task=cfg.episodes_per_task) for _ in range(n_envs)]
        env = self.envs[0]
        self.tasks = {
            "train": env.unwrapped.sample_tasks(cfg.num_train_tasks, "train", self.rng),
            "test": env.unwrapped.sample_tasks(cfg.num_test_tasks, "test", self.rng),
            "ood": env.unwrapped.sample_tasks(cfg.num_test_tasks, "ood", self.rng),
        }
        obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
        self.agent = make_agent(cfg.agent, obs_dim, act_dim, cfg)
        self.belief_opt = torch.optim.Adam(self.agent.parameters(), lr=cfg.lr_belief)
        self.sac = SAC(
            obs_dim + self.agent.feature_dim, act_dim, cfg.policy_hidden, cfg.lr_policy,
            cfg.gamma, cfg.tau, cfg.alpha, cfg.autotune_alpha,
        )  # fmt: skip
        T = env.horizon * cfg.episodes_per_task
        self.buffer = TaskBuffer(
            cfg.num_train_tasks, cfg.buffer_episodes_per_task, T, obs_dim, act_dim,
            self.agent.feature_dim,
        )  # fmt: skip
        self.iteration, self.env_steps, self.wall_time = 0, 0, 0.0
        self.history: list[dict] = []

    # -- the three phases of an iteration -------------------------------------------------------
    def collect(self, task_ids: np.ndarray, random: bool = False) -> dict[str, torch.Tensor]:
        seeds = self.rng.integers(2**31, size=len(task_ids))
        rollout = run_meta_episodes(
            self.envs, self.agent, self.sac, self.tasks["train"][task_ids], seeds,
            random_actions=self.rng if random else None,
        )  # fmt: skip
        self.buffer.add(torch.as_tensor(task_ids), rollout)
        self.env_steps += rollout["rew"].numel()
        return rollout

    def update_beliefs(self) -> float:
        cfg, filled = self.cfg, self.buffer.filled_tasks()
        total = 0.0
        for _ in range(cfg.belief_updates_per_iter):
            task_ids = filled[torch.randperm(len(filled))[: cfg.belief_batch_tasks]]
            loss, logs = self.agent.loss(self.buffer.sample_episodes(task_ids))
            for name, value in logs.items():
                check_finite(name, value.item(), self.iteration)
            value = loss.item()
            check_finite("belief", value, self.iteration)
            self.belief_opt.zero_grad()
            loss.backward()
            self.belief_opt.step()
            total += value
        return total / cfg.belief_updates_per_iter

    def update_policy(self) -> dict[str, float]:
        cfg, filled = self.cfg, self.buffer.filled_tasks()
        sums = {"critic": 0.0, "actor": 0.0}
        for _ in range(cfg.rl_updates_per_iter):
            task_ids = filled[torch.randperm(len(filled))[: cfg.rl_batch_tasks]]
            b = {k: v.flatten(0, 1) for k, v in self.buffer.sample_transitions(
                task_ids, cfg.rl_batch_per_task).items()}  # fmt: skip
            x, next_x = (
                torch.cat([b["obs"], b["feat"]], -1),
                torch.cat([b["next_obs"], b["next_feat"]], -1),
            )
            for name, value in self.sac.update(x, b["act"], b["rew"], next_x).items():
                check_finite(name, value, self.iteration)
                sums[name] += value / cfg.rl_updates_per_iter
        return sums

    def evaluate(self, split: str = "test") -> dict[str, list]:
        return meta_test(self.envs, self.agent, self.sac, self.tasks[split], self.cfg.seed + 1)

    # -- checkpoints ------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {
            "config": dataclasses.asdict(self.cfg),
            "iteration": self.iteration,
            "env_steps": self.env_steps,
            "wall_time": self.wall_time,
            "history": self.history,
            "agent": self.agent.state_dict(),
            "belief_opt": self.belief_opt.state_dict(),
            "sac": self.sac.state_dict(),
            "sac_opts": [
                o.state_dict()
                for o in (self.sac.actor_opt, self.sac.critic_opt, self.sac.alpha_opt)
            ],
            "buffer": self.buffer.state_dict(),
            "rng": {
                "numpy": json.dumps(self.rng.bit_generator.state),
                "torch": torch.get_rng_state(),
            },
        }

    def load_state_dict(self, state: dict) -> None:
        self.iteration, self.env_steps = state["iteration"], state["env_steps"]
        self.wall_time, self.history = state["wall_time"], state["history"]
        self.agent.load_state_dict(state["agent"])
        self.belief_opt.load_state_dict(state["belief_opt"])
        self.sac.load_state_dict(state["sac"])
        for opt, s in zip(
            (self.sac.actor_opt, self.sac.critic_opt, self.sac.alpha_opt),
            state["sac_opts"],
            strict=True,
        ):
            opt.load_state_dict(s)
        self.buffer.load_state_dict(state["buffer"])
        self.rng.bit_generator.state = json.loads(state["rng"]["numpy"])
        torch.set_rng_state(state["rng"]["torch"])


def load_run(out_dir: str | Path) -> Run:
    """Rebuild a run from the checkpoint in ``out_dir`` (loaded with ``weights_only=True``)."""
    path = Path(out_dir) / CHECKPOINT
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    state = torch.load(path, weights_only=True)
    run = Run(Config(**state["config"]))
    run.load_state_dict(state)
    return run


def save(run: Run, out_dir: Path) -> None:
    tmp = out_dir / (CHECKPOINT + ".tmp")
    torch.save(run.state_dict(), tmp)
    tmp.replace(out_dir / CHECKPOINT)  # atomic: a kill mid-save leaves the old checkpoint
    if run.history:
        with open(out_dir / "metrics.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(run.history[0]))
            writer.writeheader()
            writer.writerows(run.history)


def train(
    cfg: Config | None,
    out_dir: str | Path,
    resume: bool = False,
    stop_after: int | None = None,
    progress: bool = True,
) -> Run:
    """Meta-train ``cfg.agent`` on ``cfg.env``, writing ``checkpoint.pt``, ``metrics.csv`` and
    ``config.json`` to ``out_dir``. ``resume`` continues from the checkpoint there (with its own
    config when ``cfg`` is None); ``stop_after`` ends this call after that many iterations (to
    split a run across sessions).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if resume:
        run = load_run(out_dir)
        if cfg is not None and dataclasses.asdict(run.cfg) != dataclasses.asdict(cfg):
            raise ValueError(f"the checkpoint in {out_dir} was made with another config")
        cfg = run.cfg
    else:
        if cfg is None:
            raise ValueError("train needs a config unless it resumes a run")
        run = Run(cfg)
        for _ in range(cfg.init_rollouts_per_task):
            for ids in np.array_split(
                np.arange(cfg.num_train_tasks), -(-cfg.num_train_tasks // len(run.envs))
            ):
                run.collect(ids, random=True)
    (out_dir / "config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2))
    last = cfg.num_iters if stop_after is None else min(cfg.num_iters, run.iteration + stop_after)
    bar = tqdm(range(run.iteration, last), initial=run.iteration, total=cfg.num_iters,
               disable=not progress, desc=f"{cfg.agent} {cfg.env}")  # fmt: skip
    for _ in bar:
        start = time.perf_counter()
        task_ids = run.rng.choice(cfg.num_train_tasks, cfg.tasks_per_iter, replace=False)
        train_metrics = episode_metrics(run.collect(task_ids), cfg.episodes_per_task)
        belief_loss = run.update_beliefs()
        if run.iteration % cfg.refresh_beliefs_every == 0:
            run.buffer.refresh_features(run.agent)
        rl_losses = run.update_policy()
        run.iteration += 1
        evaluating = run.iteration % cfg.eval_every == 0 or run.iteration == cfg.num_iters
        test = run.evaluate("test") if evaluating else None
        run.wall_time += time.perf_counter() - start
        if test is not None:
            row = {"iteration": run.iteration, "env_steps": run.env_steps,
                   "wall_time": round(run.wall_time, 2),
                   "train_success_any": train_metrics["success_any"],
                   "belief_loss": belief_loss, **rl_losses}  # fmt: skip
            for e in range(cfg.episodes_per_task):
                row[f"test_return_ep{e + 1}"] = test["return"][e]
                row[f"test_success_ep{e + 1}"] = test["success"][e]
            row["test_success_any"] = test["success_any"]
            run.history.append(row)
            bar.set_postfix(ret=f"{sum(test['return']):.2f}", succ=f"{test['success'][-1]:.2f}")
        if run.iteration % cfg.checkpoint_every == 0 or run.iteration in (last, cfg.num_iters):
            save(run, out_dir)
    return run
