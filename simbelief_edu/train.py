"""The meta-training loop (book chapter 6, "one training iteration"), the same for all agents.

Per iteration: (1) collect ``rollouts_per_task`` meta-episodes in each of ``tasks_per_iter``
train tasks with the current policy, beliefs updated online; (2) ``belief_updates_per_iter``
ELBO steps on the belief VAE, then (every ``refresh_beliefs_every`` iterations) recompute the
GRU states stored in the buffer with the updated encoder; (3) ``rl_updates_per_iter`` SAC steps
on [tasks × transitions] batches, the belief features read from the stored GRU states
(detached: RL never trains the belief), each followed, for SimBelief, by one step of the latent
losses on the same batch (``exploration_bonus`` > 0 adds an RND novelty bonus of x' to the
batch's rewards, ``rl/rnd.py``); (4) every ``eval_every`` iterations, meta-test on held-out tasks.
Checkpoints hold everything a resumed run needs to continue exactly where a killed one stopped,
on any device (``Config.device``; ``load_run(..., device=)`` moves a run between devices).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import time
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from simbelief_edu.agents import make_agent
from simbelief_edu.configs import Config, make_env
from simbelief_edu.device import resolve_device
from simbelief_edu.evaluate import episode_metrics, meta_test
from simbelief_edu.files import (
    BadFileError,
    atomic_save,
    atomic_write_text,
    config_from_dict,
    load_state,
    read_config,
)
from simbelief_edu.rl.buffer import TaskBuffer
from simbelief_edu.rl.rnd import RND, annealed_weight
from simbelief_edu.rl.sac import SAC
from simbelief_edu.rollout import run_meta_episodes
from simbelief_edu.runtime import seed_everything

CHECKPOINT = "checkpoint.pt"
STATE_KEYS = ("config", "iteration", "agent", "sac", "buffer", "rng")  # checked on load


def check_finite(name: str, value: float, iteration: int) -> None:
    """Stop training with an error naming the loss when it is NaN or infinite."""
    if not np.isfinite(value):
        raise FloatingPointError(f"{name} loss is {value} at iteration {iteration}")


def sample_task_splits(env, cfg: Config, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The run's train, test and OOD tasks, drawn in that order from ``rng`` (the generator
    ``seed_everything(cfg.seed)`` returns), so a seed always gives the same tasks."""
    return {
        "train": env.unwrapped.sample_tasks(cfg.num_train_tasks, "train", rng),
        "test": env.unwrapped.sample_tasks(cfg.num_test_tasks, "test", rng),
        "ood": env.unwrapped.sample_tasks(cfg.num_test_tasks, "ood", rng),
    }


def run_tasks(env, cfg: Config) -> dict[str, np.ndarray]:
    """The tasks of a run with ``cfg``, recomputed without its training state: the splits
    ``Run`` draws first from its seed's generator (used by ``trained.load_agent`` and
    ``tools/eval_tasks.py``)."""
    return sample_task_splits(env, cfg, np.random.default_rng(cfg.seed))


def sac_inputs(agent, b: dict[str, torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """SAC's (x, a, r, x') from a batch ``b`` [N, M, ·]: x = [s, belief features of h],
    flattened to [N·M, ·] (r [N·M]); the features are detached (RL never trains the belief)."""
    with torch.no_grad():
        x = torch.cat([b["obs"], agent.features(b["h"])], -1).flatten(0, 1)
        next_x = torch.cat([b["next_obs"], agent.features(b["next_h"])], -1).flatten(0, 1)
    return x, b["act"].flatten(0, 1), b["rew"].flatten(), next_x


class Run:
    """Everything a training run holds: envs, tasks, agent, SAC, buffer, optimiser, history.
    The networks, optimisers and buffer live on ``self.device`` (``cfg.device`` resolved)."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.device = resolve_device(cfg.device)
        self.rng = seed_everything(cfg.seed)
        n_envs = max(cfg.tasks_per_iter * cfg.rollouts_per_task, cfg.num_test_tasks)
        self.envs = [make_env(cfg, episodes_per_task=cfg.episodes_per_task) for _ in range(n_envs)]
        env = self.envs[0]
        pool = len(env.unwrapped.task_pools["train"])
        if cfg.num_train_tasks > pool:
            raise ValueError(f"num_train_tasks={cfg.num_train_tasks} exceeds the {pool} train "
                             f"tasks of {cfg.env}")  # fmt: skip
        self.tasks = sample_task_splits(env, cfg, self.rng)
        obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
        self.agent = make_agent(cfg.agent, obs_dim, act_dim, cfg).to(self.device)
        vae = [*self.agent.encoder.parameters(), *self.agent.reward_decoder.parameters()]
        self.belief_opt = torch.optim.Adam(vae, lr=cfg.lr_belief)
        self.latent_opts: list[torch.optim.Optimizer] = []
        if hasattr(self.agent, "latent_loss"):
            slow, fast = self.agent.latent_param_groups()
            self.latent_opts = [
                torch.optim.Adam(slow, lr=cfg.lr_latent),
                torch.optim.Adam(fast, lr=cfg.lr_latent_models),
            ]
        self.sac = SAC(
            obs_dim + self.agent.feature_dim, act_dim, cfg.policy_hidden, cfg.lr_policy,
            cfg.gamma, cfg.tau, cfg.alpha, cfg.autotune_alpha, cfg.critic_grad_clip,
        ).to(self.device)  # fmt: skip
        self.rnd = None  # the exploration bonus (book chapter 10); none at all when β = 0
        if cfg.exploration_bonus > 0:
            self.rnd = RND(obs_dim + self.agent.feature_dim, cfg.policy_hidden).to(self.device)
        T = env.horizon * cfg.episodes_per_task
        self.buffer = TaskBuffer(cfg.num_train_tasks, cfg.buffer_episodes_per_task, T, obs_dim,
                                 act_dim, cfg.gru_hidden, self.device)  # fmt: skip
        self.iteration, self.env_steps, self.wall_time = 0, 0, 0.0
        self.history: list[dict] = []

    # -- the three phases of an iteration -------------------------------------------------------
    def collect(
        self, task_ids: np.ndarray, random: bool = False, repeats: int = 1
    ) -> dict[str, torch.Tensor]:
        """``repeats`` meta-episodes in each of the train tasks ``task_ids``, in one batch."""
        ids = np.tile(task_ids, repeats)
        seeds = self.rng.integers(2**31, size=len(ids))
        rollout = run_meta_episodes(
            self.envs, self.agent, self.sac, self.tasks["train"][ids], seeds,
            random_actions=self.rng if random else None,
        )  # fmt: skip
        for part in torch.arange(len(ids)).split(len(task_ids)):  # distinct tasks per add
            self.buffer.add(torch.as_tensor(ids[part]), {k: v[part] for k, v in rollout.items()})
        self.env_steps += rollout["rew"].numel()
        return rollout

    def update_beliefs(self) -> float:
        cfg, filled = self.cfg, self.buffer.filled_tasks()
        total = 0.0
        for _ in range(cfg.belief_updates_per_iter):
            task_ids = filled[torch.randperm(len(filled))[: cfg.belief_batch_tasks]]
            batch = self.buffer.sample_episodes(task_ids, cfg.belief_batch_episodes_per_task)
            loss, logs = self.agent.loss(batch)
            for name, value in logs.items():
                check_finite(name, value.item(), self.iteration)
            value = loss.item()
            check_finite("belief", value, self.iteration)
            self.belief_opt.zero_grad()
            loss.backward()
            self.belief_opt.step()
            total += value
        return total / cfg.belief_updates_per_iter

    def sac_batch(self) -> dict[str, torch.Tensor]:
        """A SAC batch: ``rl_batch_per_task`` transitions of ``rl_batch_tasks`` random filled
        tasks, [N, M, ·] (``buffer.sample_transitions``)."""
        filled = self.buffer.filled_tasks()
        task_ids = filled[torch.randperm(len(filled))[: self.cfg.rl_batch_tasks]]
        return self.buffer.sample_transitions(task_ids, self.cfg.rl_batch_per_task)

    def update_policy(self) -> dict[str, float]:
        """SAC steps on [tasks × transitions] batches; for SimBelief each is followed by one
        step of its latent losses on the same batch (one per SAC step, as in the authors' code,
        where it comes between the critic and actor steps). With an
        exploration bonus, each batch's rewards get the RND bonus of x' at the annealed weight
        β_i, and the RND predictor takes one step on the same batch."""
        cfg = self.cfg
        sums: dict[str, float] = {}
        weight = annealed_weight(cfg.exploration_bonus, self.iteration, cfg.num_iters)
        for _ in range(cfg.rl_updates_per_iter):
            b = self.sac_batch()  # [N, M, ·]
            x, act, rew, next_x = sac_inputs(self.agent, b)
            bonus_logs: dict[str, float] = {}
            if self.rnd is not None:
                bonus, bonus_logs = self.rnd.update(next_x, weight)
                rew = rew + bonus
            logs = self.sac.update(x, act, rew, next_x)
            if self.latent_opts:
                logs.update(self.latent_step(b))
            self.add_update_logs(sums, {**logs, **bonus_logs})
        return sums

    def add_update_logs(self, sums: dict[str, float], logs: dict[str, float]) -> None:
        """Check one update's losses and add them to the iteration's means ``sums``."""
        for name, value in logs.items():
            check_finite(name, value, self.iteration)
            sums[name] = sums.get(name, 0.0) + value / self.cfg.rl_updates_per_iter

    def latent_step(self, b: dict[str, torch.Tensor]) -> dict[str, float]:
        """One step of SimBelief's latent losses on a SAC batch ``b`` [N, M, ·] (from
        ``buffer.sample_transitions``), with its own optimisers and the gradient-norm clip of
        the latent head and φ; the dynamics models see the true next states."""
        loss, logs = self.agent.latent_loss({**b, "next_obs": b["true_next_obs"]})
        for opt in self.latent_opts:
            opt.zero_grad()
        loss.backward()
        for part in (self.agent.latent_head, self.agent.latent.phi):
            torch.nn.utils.clip_grad_norm_(part.parameters(), self.cfg.latent_grad_clip)
        for opt in self.latent_opts:
            opt.step()
        return {k: v.item() for k, v in logs.items()}

    @torch.no_grad()
    def belief_stats(self) -> dict[str, float]:
        """How spread out the beliefs are at the end of one stored meta-episode per train task:
        the mean log-variance, and the spread of the means across tasks (std over tasks,
        averaged over latent dimensions), for the specific belief and, for SimBelief, the
        latent one. A collapsed latent belief has a tiny spread and a very negative log σ̃²."""
        batch = self.buffer.sample_episodes(self.buffer.filled_tasks())
        h = self.agent.encoder(batch["next_obs"], batch["act"], batch["rew"])[-1]  # [B, H]
        heads = {"belief": self.agent.encoder.belief(h)}
        if hasattr(self.agent, "latent_head"):
            heads["latent"] = self.agent.latent_head(h)
        stats = {}
        for name, (mu, logvar) in heads.items():
            stats[f"{name}_logvar"] = logvar.mean().item()
            stats[f"{name}_mu_spread"] = mu.std(0).mean().item()
        return stats

    def evaluate(self, split: str = "test", meta_episodes: int = 1) -> dict[str, list]:
        return meta_test(
            self.envs, self.agent, self.sac, self.tasks[split], self.cfg.seed + 1, meta_episodes
        )

    # -- one iteration, phase by phase (``_loop``; ``simbelief_edu.seeds`` for K seeds) ---------
    def collect_and_update_beliefs(self) -> tuple[dict[str, list], float]:
        """Phases (1)-(2) of an iteration: collect in ``tasks_per_iter`` random train tasks,
        make the belief updates, refresh the stored beliefs when due. Returns the collected
        meta-episodes' metrics and the mean belief loss."""
        cfg = self.cfg
        task_ids = self.rng.choice(cfg.num_train_tasks, cfg.tasks_per_iter, replace=False)
        rollout = self.collect(task_ids, repeats=cfg.rollouts_per_task)
        train_metrics = episode_metrics(
            rollout, cfg.episodes_per_task, self.envs[0].unwrapped.success_rule
        )
        belief_loss = self.update_beliefs()
        if self.iteration % cfg.refresh_beliefs_every == 0:
            self.buffer.refresh_hidden(self.agent)
        return train_metrics, belief_loss

    def finish_iteration(
        self, train_metrics: dict, belief_loss: float, rl_losses: dict, seconds: float
    ) -> dict | None:
        """Count the iteration (it took ``seconds`` so far), meta-test when due and record a
        row of history; returns the meta-test result or None."""
        cfg = self.cfg
        start = time.perf_counter()
        self.iteration += 1
        evaluating = self.iteration % cfg.eval_every == 0 or self.iteration == cfg.num_iters
        test = self.evaluate("test") if evaluating else None
        self.wall_time += seconds + time.perf_counter() - start
        if test is not None:
            row = {"iteration": self.iteration, "env_steps": self.env_steps,
                   "wall_time": round(self.wall_time, 2),
                   "train_success_any": train_metrics["success_any"],
                   "belief_loss": belief_loss, **rl_losses, **self.belief_stats()}  # fmt: skip
            for e in range(cfg.episodes_per_task):
                row[f"test_return_ep{e + 1}"] = test["return"][e]
                row[f"test_success_ep{e + 1}"] = test["success"][e]
            row["test_success_any"] = test["success_any"]
            self.history.append(row)
        return test

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
            "latent_opts": [o.state_dict() for o in self.latent_opts],
            "sac": self.sac.state_dict(),
            "sac_opts": [o.state_dict() for o in self.sac.optimizers()],
            "buffer": self.buffer.state_dict(),
            **({} if self.rnd is None else {"rnd": self.rnd.checkpoint()}),
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
        for opt, s in zip(self.latent_opts, state["latent_opts"], strict=True):
            opt.load_state_dict(s)
        self.sac.load_state_dict(state["sac"])
        for opt, s in zip(self.sac.optimizers(), state["sac_opts"], strict=True):
            opt.load_state_dict(s)
        self.buffer.load_state_dict(state["buffer"])
        if self.rnd is not None:
            self.rnd.load_checkpoint(state["rnd"])
        self.rng.bit_generator.state = json.loads(state["rng"]["numpy"])
        torch.set_rng_state(state["rng"]["torch"])


def load_run(out_dir: str | Path, device: str | None = None) -> Run:
    """Rebuild a run from the checkpoint in ``out_dir`` (loaded with ``weights_only=True``) on
    ``device`` (``auto``, ``cpu``, ``cuda``; None: the run's own ``cfg.device``). The tensors
    are read onto the CPU whatever device saved them (``map_location``) and copied to the run's
    device, so a run saved on a GPU resumes on a CPU and the other way round.

    A truncated or corrupt ``checkpoint.pt``, or a ``config.json`` beside it that is not valid
    or disagrees with the checkpoint, raises :class:`~simbelief_edu.files.BadFileError`
    naming the file and what to do."""
    out_dir = Path(out_dir)
    path = out_dir / CHECKPOINT
    remedy = f"the run cannot continue from it: train again with another --out, or restore {path}"
    state = load_state(path, "checkpoint", STATE_KEYS, remedy)
    cfg = config_from_dict(state["config"], path, remedy)
    saved = out_dir / "config.json"
    if saved.is_file():
        fix = f"delete {saved} and run the command again: it is rewritten from the checkpoint"
        on_disk = read_config(saved, fix)
        differ = [f.name for f in dataclasses.fields(Config) if f.name != "device"
                  and getattr(on_disk, f.name) != getattr(cfg, f.name)]  # fmt: skip
        if differ:
            raise BadFileError(
                f"{saved} disagrees with {path} on {', '.join(differ)}; "
                f"the checkpoint's settings are the run's: {fix}"
            )
    if device:
        cfg = dataclasses.replace(cfg, device=device)
    run = Run(cfg)
    run.load_state_dict(state)
    return run


def save(run: Run, out_dir: Path) -> None:
    """Write the checkpoint, ``config.json`` and ``metrics.csv``, each through a temporary file
    and a rename, so a run killed mid-write keeps its previous, loadable files."""
    atomic_save(run.state_dict(), out_dir / CHECKPOINT)
    atomic_write_text(json.dumps(dataclasses.asdict(run.cfg), indent=2), out_dir / "config.json")
    if run.history:
        text = io.StringIO(newline="")
        writer = csv.DictWriter(text, fieldnames=list(run.history[0]))
        writer.writeheader()
        writer.writerows(run.history)
        atomic_write_text(text.getvalue(), out_dir / "metrics.csv")


def initial_collection(run: Run) -> None:
    """Fill the buffer before training: ``init_rollouts_per_task`` random-action
    meta-episodes in every train task."""
    cfg = run.cfg
    for _ in range(cfg.init_rollouts_per_task):
        for ids in np.array_split(
            np.arange(cfg.num_train_tasks), -(-cfg.num_train_tasks // len(run.envs))
        ):
            run.collect(ids, random=True)


def train(
    cfg: Config, out_dir: str | Path, stop_after: int | None = None, progress: bool = True
) -> Run:
    """Meta-train ``cfg.agent`` on ``cfg.env`` from scratch, writing ``checkpoint.pt``,
    ``metrics.csv`` and ``config.json`` to ``out_dir``; ``stop_after`` ends this call after
    that many iterations (continue with :func:`resume`)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    run = Run(cfg)
    initial_collection(run)
    atomic_write_text(json.dumps(dataclasses.asdict(cfg), indent=2), out_dir / "config.json")
    return _loop(run, out_dir, stop_after, progress)


def resume(
    out_dir: str | Path,
    stop_after: int | None = None,
    progress: bool = True,
    device: str | None = None,
) -> Run:
    """Continue the run saved in ``out_dir`` from its checkpoint, with its own config (on
    ``device`` when given)."""
    return _loop(load_run(out_dir, device), Path(out_dir), stop_after, progress)


def _loop(run: Run, out_dir: Path, stop_after: int | None, progress: bool) -> Run:
    cfg = run.cfg
    last = cfg.num_iters if stop_after is None else min(cfg.num_iters, run.iteration + stop_after)
    bar = tqdm(range(run.iteration, last), initial=run.iteration, total=cfg.num_iters,
               disable=not progress, desc=f"{cfg.agent} {cfg.env}")  # fmt: skip
    for _ in bar:
        start = time.perf_counter()
        collected = run.collect_and_update_beliefs()
        rl_losses = run.update_policy()
        test = run.finish_iteration(*collected, rl_losses, time.perf_counter() - start)
        if test is not None:
            bar.set_postfix(ret=f"{sum(test['return']):.2f}", succ=f"{test['success'][-1]:.2f}")
        if run.iteration % cfg.checkpoint_every == 0 or run.iteration in (last, cfg.num_iters):
            save(run, out_dir)
    return run
