"""Trained agents without their training state: export, load, meta-test, watch (book ch. 7-9).

A training checkpoint holds everything a resumed run needs, replay buffer included (hundreds of
MB). What a reader needs to meta-test or watch an agent is much smaller: the config, the belief
networks and the policy. ``export_agent`` writes just that (a few hundred kB), ``load_agent``
reads it back with the run's own train/test/OOD tasks, ``play_meta_episode`` plays one
meta-episode step by step, and ``meta_episode_gif`` films one: episode 1 exploring, episode 2
exploiting what the belief has learned.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from simbelief_edu.agents import make_agent
from simbelief_edu.configs import Config, make_env
from simbelief_edu.device import resolve_device
from simbelief_edu.envs.render import save_gif
from simbelief_edu.evaluate import meta_test, per_episode
from simbelief_edu.files import atomic_save, config_from_dict, load_state
from simbelief_edu.rl.sac import SAC
from simbelief_edu.rollout import to_env_action
from simbelief_edu.train import CHECKPOINT, run_tasks


@dataclass
class TrainedAgent:
    """A trained agent: its config, belief networks (``agent``), policy and tasks."""

    cfg: Config
    iteration: int
    agent: torch.nn.Module
    policy: SAC
    tasks: dict[str, np.ndarray]

    def evaluate(self, split: str = "test", meta_episodes: int | None = None) -> dict:
        """Meta-test on the run's ``split`` tasks, exactly as ``Run.evaluate`` does."""
        n = self.cfg.eval_meta_episodes if meta_episodes is None else meta_episodes
        tasks = self.tasks[split]
        envs = [make_env(self.cfg, episodes_per_task=self.cfg.episodes_per_task)
                for _ in range(len(tasks))]  # fmt: skip
        return meta_test(envs, self.agent, self.policy, tasks, self.cfg.seed + 1, n)


def export_agent(run_dir: str | Path, path: str | Path) -> Path:
    """Write the config, belief networks and actor of the run in ``run_dir`` to ``path``."""
    source = Path(run_dir) / CHECKPOINT
    remedy = f"restore {source} or train the run again"
    keys = ("config", "iteration", "agent", "sac")
    state = load_state(source, "checkpoint", keys, remedy)
    actor = {k.removeprefix("actor."): v for k, v in state["sac"].items() if k.startswith("actor.")}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_save({"config": state["config"], "iteration": state["iteration"],
                 "agent": state["agent"], "actor": actor}, path)  # fmt: skip
    return path


def load_agent(path: str | Path, device: str = "cpu") -> TrainedAgent:
    """Read an exported agent (``export_agent``; loaded with ``weights_only=True``) onto
    ``device`` (``cpu``, ``cuda`` or ``auto``), whatever device saved it."""
    target = resolve_device(device)
    remedy = "export it again: simbelief-edu export RUN_DIR --out AGENT.pt"
    state = load_state(path, "exported agent", ("config", "iteration", "agent", "actor"), remedy)
    cfg = config_from_dict(state["config"], path, remedy)
    env = make_env(cfg)
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    agent = make_agent(cfg.agent, obs_dim, act_dim, cfg)
    agent.load_state_dict(state["agent"])
    policy = SAC(obs_dim + agent.feature_dim, act_dim, cfg.policy_hidden)
    policy.actor.load_state_dict(state["actor"])
    agent, policy = agent.to(target), policy.to(target)
    tasks = run_tasks(env, cfg)
    return TrainedAgent(cfg, state["iteration"], agent.eval(), policy.eval(), tasks)


@torch.no_grad()
def play_meta_episode(
    trained: TrainedAgent,
    task: np.ndarray,
    seed: int = 0,
    render_every: int = 0,
    **render_kwargs,
) -> dict:
    """One meta-episode of the deterministic policy in ``task``, beliefs updated online.

    Returns per step ``rew`` [T], ``success`` [T] and the env's ``info`` dicts (e.g.
    Cheetah's ``x_velocity``), the policy's actions ``act`` [T] (in [-1, 1]), the observation
    each step arrives at, ``next_obs`` [T], each
    episode's first observation, ``starts`` [k], and the belief states ``h`` [T + 1]
    (``h[t]`` has seen t steps); with
    ``render_every`` = n > 0 also ``frames``: one after reset and one after every n-th step,
    each labelled with its episode.
    """
    cfg, k = trained.cfg, trained.cfg.episodes_per_task
    render = {"render_mode": "rgb_array", **render_kwargs} if render_every else {}
    env = make_env(cfg, episodes_per_task=k, **render)
    obs, _ = env.reset(seed=seed, options={"task": task})
    h = trained.agent.initial_hidden(1)
    device = h.device
    out: dict[str, list] = {key: [] for key in ("rew", "success", "info", "frames", "act")}
    out.update(next_obs=[], starts=[np.asarray(obs)], h=[h[0].cpu()])
    if render_every:
        out["frames"].append(_label(env.render(), 0, k))
    done = False
    while not done:
        x = torch.cat([torch.as_tensor(obs, dtype=torch.float32, device=device)[None],
                       trained.agent.features(h)], -1)  # fmt: skip
        a = trained.policy.act(x, deterministic=True)
        obs, r, terminated, truncated, info = env.step(to_env_action(env, a[0].cpu().numpy()))
        true_next = info["final_obs"] if info["episode_done"] else obs
        rew = torch.tensor([[float(r)]], device=device)
        arrived = np.asarray(true_next)
        true_next = torch.as_tensor(true_next, dtype=torch.float32, device=device)[None]
        h = trained.agent.step(h, true_next, a, rew)
        out["act"].append(a[0].cpu())
        out["next_obs"].append(arrived)
        out["h"].append(h[0].cpu())
        out["rew"].append(float(r))
        out["success"].append(bool(info["success"]))
        out["info"].append(info)
        done = terminated or truncated
        if info["episode_done"] and not done:
            out["starts"].append(np.asarray(obs))
        if render_every and (len(out["rew"]) % render_every == 0 or done):
            out["frames"].append(_label(env.render(), env.episode_index, k))
    env.close()
    return out


def _label(frame: np.ndarray, episode: int, k: int) -> np.ndarray:
    """``frame`` with "episode e of k" written in its top-left corner."""
    from PIL import Image, ImageDraw

    image = Image.fromarray(np.ascontiguousarray(frame))
    text = f"episode {episode + 1} of {k}" + (" (explore)" if episode == 0 else "")
    ImageDraw.Draw(image).text((4, 2), text, fill=(0, 0, 0))
    return np.asarray(image)


def meta_episode_gif(
    trained: TrainedAgent | str | Path,
    path: str | Path,
    split: str = "test",
    task_index: int = 0,
    seed: int = 0,
    every: int = 1,
    fps: int = 20,
    **render_kwargs,
) -> tuple[Path, dict]:
    """Write a GIF of one meta-episode of ``trained`` (an agent or the path of an exported
    one) in task ``task_index`` of ``split``, a frame every ``every`` steps; return its path
    and the meta-episode's per-episode returns and successes (the env's success rule)."""
    if not isinstance(trained, TrainedAgent):
        trained = load_agent(trained)
    task = trained.tasks[split][task_index]
    played = play_meta_episode(trained, task, seed, every, **render_kwargs)
    k, T = trained.cfg.episodes_per_task, len(played["rew"])
    evaluated = per_episode({"rew": torch.tensor([played["rew"]]),
                             "success": torch.tensor([played["success"]])}, k,
                            make_env(trained.cfg).unwrapped.success_rule)  # fmt: skip
    info = {"task": task.tolist(), "steps": T,
            "return": evaluated["return"][0].tolist(),
            "success": evaluated["success"][0].tolist()}  # fmt: skip
    return save_gif(played["frames"], path, fps), info
