"""Pictures of the environments: trajectory plots, rollout frames, GIFs (book chapters 1 and 6).

``plot_trajectory`` draws a Point-Robot (or Ant) trajectory on a matplotlib ``Axes``; the book
uses it directly and :class:`~simbelief_edu.envs.point_robot.PointRobotSparseEnv` uses it for its
``rgb_array`` frames. ``rollout_frames`` and ``save_gif`` turn any rollout of an environment made
with ``render_mode="rgb_array"`` into frames and a GIF.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np

if TYPE_CHECKING:  # matplotlib is imported only when something is drawn
    from matplotlib.axes import Axes


def plot_trajectory(
    ax: Axes,
    trajectory: np.ndarray | Sequence[Sequence[float]] | None,
    goal: np.ndarray | Sequence[float] | None = None,
    goal_radius: float = 0.2,
    *,
    circle_radius: float = 1.0,
    color: str = "tab:blue",
    label: str | None = None,
    draw_arena: bool = True,
) -> Axes:
    """Draw the task arena, a goal with its radius, and an xy trajectory on ``ax``.

    The training goals lie on the upper half circle (solid); the lower half, where the OOD goals
    lie, is dotted. ``trajectory`` is an array ``[T, 2]`` (or None to draw only the arena).
    Call it several times with ``draw_arena=False`` to overlay trajectories. Returns ``ax``.
    """
    from matplotlib.patches import Circle

    if draw_arena:
        angles = np.linspace(0.0, np.pi, 100)
        r = circle_radius
        ax.plot(r * np.cos(angles), r * np.sin(angles), color="0.5", lw=1.0, label="train goals")
        ax.plot(r * np.cos(angles), -r * np.sin(angles), color="0.7", lw=1.0, ls=":")
        lim = 1.7 * r  # the start box [-1.5, 1.5] × [-0.5, 1.5] and a margin
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-0.7 * lim, lim)
        ax.set_aspect("equal")
    if goal is not None:
        gx, gy = np.asarray(goal, dtype=float)[:2]
        ax.add_patch(Circle((gx, gy), goal_radius, color="tab:green", alpha=0.25, lw=0))
        ax.plot([gx], [gy], marker="*", color="tab:green", ms=12, ls="none")
    if trajectory is not None:
        xy = np.asarray(trajectory, dtype=float).reshape(-1, 2)
        ax.plot(xy[:, 0], xy[:, 1], color=color, lw=1.5, marker=".", ms=4, label=label)
        ax.plot(xy[-1:, 0], xy[-1:, 1], color=color, marker="o", ms=7)
    return ax


class TrajectoryCanvas:
    """An off-screen matplotlib figure (no pyplot state) that renders a trajectory to RGB."""

    def __init__(self, size: int = 256, dpi: int = 100) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=(size / dpi, size / dpi), dpi=dpi)
        FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_axes((0.02, 0.02, 0.96, 0.96))

    def draw(
        self,
        trajectory: np.ndarray,
        goal: np.ndarray | None,
        goal_radius: float,
        circle_radius: float = 1.0,
    ) -> np.ndarray:
        """Redraw and return an ``H x W x 3`` uint8 image."""
        self.ax.clear()
        plot_trajectory(self.ax, trajectory, goal, goal_radius, circle_radius=circle_radius)
        self.ax.set_xticks([])
        self.ax.set_yticks([])
        self.fig.canvas.draw()
        return np.asarray(self.fig.canvas.buffer_rgba())[..., :3].copy()


def rollout_frames(
    env: gym.Env,
    policy_or_actions: Callable[[np.ndarray], Any] | Sequence[Any] | np.ndarray,
    n_steps: int | None = None,
    *,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
) -> list[np.ndarray]:
    """Reset ``env``, run a policy (``obs -> action``) or a fixed action sequence, return frames.

    The list holds the frame after reset and one after each step. The rollout stops after
    ``n_steps`` steps (default: the length of the action sequence, or until the episode ends),
    or earlier when the episode terminates or is truncated. ``env`` must have been made with
    ``render_mode="rgb_array"``.
    """
    if env.render_mode != "rgb_array":
        raise ValueError(f"render_mode must be 'rgb_array', got {env.render_mode!r}")
    if callable(policy_or_actions):
        policy, limit = policy_or_actions, n_steps
    else:
        actions = list(policy_or_actions)
        limit = len(actions) if n_steps is None else min(n_steps, len(actions))

        action_iter = iter(actions)

        def policy(_obs: np.ndarray) -> Any:
            return next(action_iter)

    obs, _ = env.reset(seed=seed, options=options)
    frames = [env.render()]
    t = 0
    while limit is None or t < limit:
        obs, _, terminated, truncated, _ = env.step(policy(obs))
        frames.append(env.render())
        t += 1
        if terminated or truncated:
            break
    return frames


def save_gif(frames: Sequence[np.ndarray], path: str | Path, fps: int = 20) -> Path:
    """Write ``frames`` (each ``H x W x 3`` uint8) to an animated GIF at ``path``; return it."""
    import imageio.v3 as iio

    if len(frames) == 0:
        raise ValueError("frames must not be empty")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(path, np.stack(frames), duration=1000.0 / fps, loop=0)
    return path
