"""Environment throughput: our sparse envs next to the raw environments they wrap.

    python benchmarks/env_throughput.py [--seconds 2.0] [--no-frames]

Prints a markdown table of steps per second (random actions drawn beforehand, episodes reset
when they end, everything made with ``gymnasium.make`` so both sides carry the same wrappers)
and the overhead ratio raw / ours. The point robot is compared with a bare numpy loop doing the
same arithmetic. It also writes one PNG frame of each environment to ``benchmarks/frames/``.
Takes about a minute on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym
import numpy as np

import simbelief_edu  # noqa: F401  (registers the ids)
from simbelief_edu.envs import ENV_IDS, MetaEpisode, make

FRAMES_DIR = Path(__file__).resolve().parent / "frames"
# steps before the frame is taken (default 20); the ant stays near the origin after 3
FRAME_STEPS = {"point-robot-sparse": 14, "panda-reach-sparse": 12, "ant-semicircle-sparse": 3}


def steps_per_second(env: gym.Env, seconds: float) -> float:
    """Step ``env`` with pre-drawn random actions for about ``seconds``; return steps/s."""
    env.action_space.seed(0)
    actions = np.stack([env.action_space.sample() for _ in range(256)])
    env.reset(seed=0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                env.reset()
        steps += len(actions)
    return steps / (time.perf_counter() - start)


def bare_point_robot(seconds: float) -> float:
    """The point robot's arithmetic (move, distance, reward) as a plain numpy loop."""
    actions = np.random.default_rng(0).uniform(-1, 1, (256, 2)).astype(np.float32)
    goal, pos = np.array([0.0, 1.0], np.float32), np.zeros(2, np.float32)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for t, a in enumerate(actions):
            if t % 20 == 0:
                pos[:] = 0.0
            pos += 0.1 * np.clip(a, -1.0, 1.0)
            _reward = float(np.linalg.norm(pos - goal) <= 0.2)
            _obs = pos.copy()
        steps += len(actions)
    return steps / (time.perf_counter() - start)


def rows(seconds: float) -> list[tuple[str, float, str, float]]:
    """(our env, its steps/s, the baseline, its steps/s) for every environment available."""
    pairs: list[tuple[str, Callable[[], gym.Env], str, Callable[[], float]]] = [
        ("point-robot-sparse", lambda: make("point-robot-sparse"), "bare numpy loop",
         lambda: bare_point_robot(seconds)),
        ("point-robot-sparse + MetaEpisode(k=2)",
         lambda: MetaEpisode(make("point-robot-sparse"), 2), "point-robot-sparse",
         lambda: steps_per_second(make("point-robot-sparse"), seconds)),
        ("cheetah-vel-sparse", lambda: make("cheetah-vel-sparse"), "HalfCheetah-v5",
         lambda: steps_per_second(gym.make("HalfCheetah-v5"), seconds)),
        ("ant-semicircle-sparse", lambda: make("ant-semicircle-sparse"), "Ant-v5",
         lambda: steps_per_second(gym.make("Ant-v5"), seconds)),
    ]  # fmt: skip
    try:
        import panda_gym  # noqa: F401

        for ours, raw in [
            ("panda-reach-sparse", "PandaReach-v3"),
            ("panda-push-sparse", "PandaPush-v3"),
        ]:
            pairs.append((ours, lambda o=ours: make(o), raw,
                          lambda r=raw: steps_per_second(gym.make(r), seconds)))  # fmt: skip
    except ImportError:
        print("panda-gym is not installed: skipping the Panda environments")
    out = []
    for ours, make_ours, base, run_base in pairs:
        out.append((ours, steps_per_second(make_ours(), seconds), base, run_base()))
    return out


def toward(target: np.ndarray, current: np.ndarray, gain: float) -> np.ndarray:
    return np.clip(gain * (target - current), -1.0, 1.0).astype(np.float32)


def write_frames() -> list[Path]:
    """One frame per environment after a short scripted rollout, as PNG in ``FRAMES_DIR``."""
    import imageio.v3 as iio

    FRAMES_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for alias, env_id in ENV_IDS.items():
        if alias.startswith("panda"):
            try:
                import panda_gym  # noqa: F401
            except ImportError:
                continue
        env = make(alias, render_mode="rgb_array")
        task = env.unwrapped.sample_tasks(1, "test", np.random.default_rng(0))[0]
        obs, _ = env.reset(seed=0, options={"task": task})
        rng = np.random.default_rng(0)
        for _ in range(FRAME_STEPS.get(alias, 20)):
            if alias == "point-robot-sparse":  # head for the goal
                action = toward(task, obs, 10.0)
            elif alias == "panda-reach-sparse":  # move the end-effector to the goal
                action = toward(task, obs[:3], 10.0)
            else:
                action = rng.uniform(-1, 1, env.action_space.shape).astype(np.float32)
            obs, *_ = env.step(action)
        path = FRAMES_DIR / f"{env_id.split('/')[1].removesuffix('-v0')}.png"
        iio.imwrite(path, env.render())
        env.close()
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--no-frames", action="store_true", help="skip writing the PNG frames")
    args = parser.parse_args()
    table = rows(args.seconds)
    print("| env | steps/s | baseline | baseline steps/s | overhead (baseline / env) |")
    print("|---|---:|---|---:|---:|")
    for ours, sps, base, base_sps in table:
        print(f"| {ours} | {sps:,.0f} | {base} | {base_sps:,.0f} | {base_sps / sps:.2f}x |")
    if not args.no_frames:
        for path in write_frames():
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
