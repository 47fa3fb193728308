"""What a trained agent believes, drawn: Point-Robot meta-episodes with the decoded reward map
of the belief at chosen steps (book chapters 2 and 6).

The belief VAE's decoder predicts the reward of a transition given a belief sample m. For a
belief mean μ_t, the predicted reward of *arriving* at each point of a grid (averaged over 8
directions of arrival) is a map of where the belief thinks the goal is: flat and dim before
any reward, a bright spot once the goal has been found.
"""

from __future__ import annotations

import numpy as np
import torch

from simbelief_edu.configs import make_env
from simbelief_edu.envs.render import plot_trajectory
from simbelief_edu.trained import TrainedAgent, play_meta_episode


@torch.no_grad()
def reward_map(trained: TrainedAgent, h: torch.Tensor, extent: float = 1.3, n: int = 60):
    """[n, n] predicted reward of arriving at each point of a grid over
    [-extent, extent]², for the specific belief's mean μ(h) (NaN outside the arena's disc).
    Each arrival is decoded with the action of the default action map (displacement /
    ``max_step``): in a mirrored task (``mirrored_fraction``, chapter 10) read it as the reward
    the belief expects of unmirrored moves; :func:`plot_adaptation`'s colour scale is the
    sparse reward's [0, 1]."""
    env = make_env(trained.cfg).unwrapped
    device = next(trained.agent.parameters()).device
    h = h.to(device)
    xs = torch.linspace(-extent, extent, n, device=device)
    grid = torch.stack(torch.meshgrid(xs, xs, indexing="xy"), -1).reshape(-1, 2)  # [n², 2]
    angles = torch.arange(8, device=device) * (2 * np.pi / 8)
    steps = env.max_step * torch.stack([angles.cos(), angles.sin()], -1)  # [8, 2]
    next_obs = grid.repeat_interleave(8, 0)  # [8 n², 2]
    move = steps.repeat(len(grid), 1)  # the displacement; the stored action is move / max_step
    mu, _ = trained.agent.encoder.belief(h[None])
    r = trained.agent.reward_decoder(next_obs - move, move / env.max_step, next_obs,
                                     mu.expand(len(next_obs), -1))  # fmt: skip
    r = r.reshape(len(grid), 8).mean(-1).reshape(n, n).cpu().numpy()
    return np.where(grid.norm(dim=-1).reshape(n, n).cpu().numpy() <= 1.25, r, np.nan)


def adaptation_panels(trained: TrainedAgent, task_index: int, split: str = "test", seed: int = 0):
    """Play one meta-episode in task ``task_index`` of ``split``; return it with the steps to
    draw: the start, half-way to the first reward (or mid-episode 1 if none), the first
    reward, the end of episode 1 (the belief episode 2 starts from) and the end."""
    played = play_meta_episode(trained, trained.tasks[split][task_index], seed)
    T = len(played["rew"])
    rewarded = np.flatnonzero(np.array(played["rew"]) > 0)
    first = int(rewarded[0]) + 1 if len(rewarded) else None
    steps = {"start": 0, "searching": (first or T // 2) // 2}
    if first is not None:
        steps["first reward"] = first
    steps["end of episode 1"] = T // trained.cfg.episodes_per_task
    steps["end"] = T
    return played, dict(sorted(steps.items(), key=lambda item: item[1]))


def episode_path(played: dict, e: int, H: int, t: int | None = None) -> np.ndarray:
    """[steps + 1, 2] xy path of episode ``e`` of a played meta-episode (its start, then where
    each step arrived), up to meta-episode step ``t`` (the whole episode when None)."""
    end = (e + 1) * H if t is None else min(t, (e + 1) * H)
    arrived = np.array(played["next_obs"][e * H : end]).reshape(-1, len(played["starts"][e]))
    return np.concatenate([played["starts"][e][None, :2], arrived[:, :2]])


def plot_adaptation(agents: dict[str, TrainedAgent], task_index: int, split: str = "test"):
    """One row per agent: its meta-episode's two episodes' paths, then the decoded reward map
    of its belief at the steps of :func:`adaptation_panels`. Returns the figure and, per
    agent, the per-episode returns."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(agents), 6, figsize=(14, 2.5 * len(agents)), squeeze=False,
                             layout="constrained")  # fmt: skip
    returns = {}
    for row, (name, trained) in zip(axes, agents.items(), strict=True):
        played, steps = adaptation_panels(trained, task_index, split)
        env = make_env(trained.cfg).unwrapped
        k = trained.cfg.episodes_per_task
        H = len(played["rew"]) // k
        goal = trained.tasks[split][task_index]
        returns[name] = [sum(played["rew"][e * H : (e + 1) * H]) for e in range(k)]
        for e in range(k):
            label = f"episode {e + 1}: return {returns[name][e]:.0f}"
            plot_trajectory(row[0], episode_path(played, e, H), goal if e == 0 else None,
                            env.goal_radius, color=f"C{e}", label=label,
                            draw_arena=e == 0)  # fmt: skip
        row[0].legend(fontsize=6, loc="lower left")
        row[0].set_title(name, fontsize=9)
        for ax, (label, t) in zip(row[1:], steps.items(), strict=False):
            image = ax.imshow(reward_map(trained, played["h"][t]), extent=(-1.3, 1.3, -1.3, 1.3),
                              origin="lower", vmin=0, vmax=1)  # fmt: skip
            for e in range(min(k, -(-t // H))):  # the path so far, episode by episode
                path = episode_path(played, e, H, t)
                ax.plot(*path.T, color="w", lw=0.8, ls="-" if e == 0 else "--")
            plot_trajectory(ax, None, goal, env.goal_radius, draw_arena=False)
            ax.set(xlim=(-1.3, 1.3), ylim=(-1.3, 1.3), xticks=[], yticks=[])
            ax.set_title(f"{label} (t = {t})", fontsize=8)
        for ax in row[1 + len(steps) :]:
            ax.axis("off")
    fig.colorbar(image, ax=axes[:, 1:], shrink=0.8, label="decoded reward")
    return fig, returns
