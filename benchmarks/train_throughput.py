"""Training throughput of SimBelief and VariBAD (issue: ≤ 25 s per full Point-Robot iteration,
SimBelief's update step within 2× of VariBAD's).

    python benchmarks/train_throughput.py [--out benchmarks/results/train_throughput.md]

One torch thread. For the Point-Robot and Cheetah-Vel configs (full scale) it measures:
env steps/s of the rollout loop (policy + online belief) next to the bare env stepping with
random actions, RL updates/s, belief updates/s; and the seconds of one full Point-Robot
iteration (5 task rollouts + 25 belief updates + a refresh of the beliefs stored in a full
buffer + 1000 RL updates).
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import torch

from simbelief_edu.configs import make_config
from simbelief_edu.envs import make
from simbelief_edu.train import Run


def timed(fn, repeat: int) -> float:
    """Seconds per call of ``fn`` (after one warm-up call)."""
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def bare_env_steps_per_s(env_name: str, steps: int = 4000) -> float:
    env = make(env_name)
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    start = time.perf_counter()
    for _ in range(steps):
        _, _, term, trunc, _ = env.step(
            rng.uniform(-1, 1, env.action_space.shape).astype(np.float32)
        )
        if term or trunc:
            env.reset()
    return steps / (time.perf_counter() - start)


def measure(env_name: str, agent: str) -> dict:
    cfg = make_config(env_name, "full", agent)
    run = Run(cfg)
    ids = np.arange(cfg.tasks_per_iter)
    run.collect(ids, random=True)  # something in the buffer
    run.collect(ids + cfg.tasks_per_iter, random=True)
    steps = cfg.tasks_per_iter * run.buffer.T
    collect_s = timed(lambda: run.collect(ids), 2)
    cfg.belief_updates_per_iter, cfg.rl_updates_per_iter = 5, 50
    belief_s = timed(run.update_beliefs, 2) / 5
    rl_s = timed(run.update_policy, 2) / 50
    run.buffer.count[:] = cfg.buffer_episodes_per_task  # a full buffer (values do not matter)
    refresh_s = timed(lambda: run.buffer.refresh_hidden(run.agent), 1)
    row = {
        "env": env_name,
        "agent": agent,
        "rollout steps/s": steps / collect_s,
        "bare env steps/s": bare_env_steps_per_s(env_name),
        "RL updates/s": 1 / rl_s,
        "belief updates/s": 1 / belief_s,
        "s per refresh (full buffer)": refresh_s,
    }
    full = make_config(env_name, "full", agent)
    row["s per full iteration"] = (
        collect_s
        + full.belief_updates_per_iter * belief_s
        + full.rl_updates_per_iter * rl_s
        + refresh_s
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="benchmarks/results/train_throughput.md")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = [measure(e, a) for e in ("point-robot-sparse", "cheetah-vel-sparse")
            for a in ("simbelief", "varibad")]  # fmt: skip
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for r in rows:
        cells = [f"{v:,.0f}" if isinstance(v, float) and v >= 100 else
                 f"{v:.2f}" if isinstance(v, float) else str(v) for v in r.values()]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    for env in ("point-robot-sparse", "cheetah-vel-sparse"):
        sb, vb = (next(r for r in rows if r["env"] == env and r["agent"] == a)
                  for a in ("simbelief", "varibad"))  # fmt: skip
        ratio = vb["belief updates/s"] / sb["belief updates/s"]
        lines.append(f"\n{env}: SimBelief's belief update takes {ratio:.2f}× VariBAD's.")
    header = (f"Measured by `python benchmarks/train_throughput.py` on {platform.node()} "
              f"({platform.processor() or platform.machine()}), torch {torch.__version__}, "
              f"1 thread, {time.strftime('%Y-%m-%d %H:%M')}.\n\n")  # fmt: skip
    text = header + "\n".join(lines) + "\n"
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
