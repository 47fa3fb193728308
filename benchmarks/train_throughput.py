"""Seconds per training iteration at the authors' settings, per phase, against the compute floor.

    python benchmarks/train_throughput.py [--env point-robot-sparse] [--out FILE.md]

One torch thread, the ``full`` preset (the authors' batch sizes: each iteration collects 5 tasks
× 5 meta-episodes, makes 25 belief updates on 16 tasks × 2 meta-episodes, recomputes the belief
states stored in a full buffer, and makes 1000 SAC updates on 16 tasks × 256 transitions, each
followed by SimBelief's latent step). For each phase it measures seconds per call and counts the
floating-point operations of one call with ``torch.utils.flop_counter.FlopCounterMode`` (the
matrix products, forward and backward). The *floor* of a phase is that count divided by this
core's measured matmul rate: the time it would take doing nothing but its matrix products.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from simbelief_edu.configs import make_config
from simbelief_edu.envs import ENV_IDS
from simbelief_edu.train import Run


def matmul_rate(repeat: int = 50) -> float:
    """FLOP/s of a [4096, 128] × [128, 128] product (the SAC critic's hidden layer)."""
    a, b = torch.randn(4096, 128), torch.randn(128, 128)
    for _ in range(5):
        a @ b
    start = time.perf_counter()
    for _ in range(repeat):
        a @ b
    return 2 * 4096 * 128 * 128 * repeat / (time.perf_counter() - start)


def seconds_and_flops(fn, repeat: int) -> tuple[float, float]:
    """Seconds per call of ``fn`` (after a warm-up call) and the FLOPs of one call."""
    fn()
    with FlopCounterMode(display=False) as counter:
        fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat, counter.get_total_flops()


def phases(run: Run) -> dict[str, tuple[object, int, int]]:
    """name → (callable, calls per iteration, timing repeats) for one iteration's phases."""
    cfg, filled = run.cfg, run.buffer.filled_tasks()
    b = run.buffer.sample_transitions(filled[: cfg.rl_batch_tasks], cfg.rl_batch_per_task)
    with torch.no_grad():
        x = torch.cat([b["obs"], run.agent.features(b["h"])], -1).flatten(0, 1)
        next_x = torch.cat([b["next_obs"], run.agent.features(b["next_h"])], -1).flatten(0, 1)
    act, rew = b["act"].flatten(0, 1), b["rew"].flatten()
    episodes = run.buffer.sample_episodes(filled[: cfg.belief_batch_tasks], 2)

    def collect():
        run.collect(np.arange(cfg.tasks_per_iter), repeats=cfg.rollouts_per_task)

    def belief_update():
        loss, _ = run.agent.loss(episodes)
        run.belief_opt.zero_grad()
        loss.backward()
        run.belief_opt.step()

    def sample():
        ids = filled[torch.randperm(len(filled))[: cfg.rl_batch_tasks]]
        run.buffer.sample_transitions(ids, cfg.rl_batch_per_task)

    @torch.no_grad()
    def features():
        run.agent.features(b["h"]), run.agent.features(b["next_h"])

    n_rl = cfg.rl_updates_per_iter
    out = {
        f"rollouts ({cfg.tasks_per_iter} tasks × {cfg.rollouts_per_task})": (collect, 1, 1),
        "belief update (ELBO)": (belief_update, cfg.belief_updates_per_iter, 3),
        "refresh of the stored beliefs (full buffer)": (
            lambda: run.buffer.refresh_hidden(run.agent),
            1,
            1,
        ),
        "SAC batch sampling": (sample, n_rl, 20),
        "belief features of x, x'": (features, n_rl, 20),
        "SAC update (critics, actor, targets)": (
            lambda: run.sac.update(x, act, rew, next_x),
            n_rl,
            20,
        ),
    }
    if run.latent_opts:
        out["latent step (SimBelief)"] = (lambda: run.latent_step(b), n_rl, 20)
    return out


def measure(env: str, agent: str, rate: float) -> list[str]:
    torch.manual_seed(0)
    cfg = make_config(env, "full", agent, init_rollouts_per_task=1)
    run = Run(cfg)
    for ids in np.array_split(np.arange(cfg.num_train_tasks), 4):
        run.collect(ids, random=True)
    # a full buffer for the refresh: copy the first meta-episode into every slot
    for value in run.buffer.data.values():
        value[:] = value[:, :1]
    run.buffer.count[:] = cfg.buffer_episodes_per_task
    rows, total, floor_total = [], 0.0, 0.0
    for name, (fn, calls, repeat) in phases(run).items():
        sec, flops = seconds_and_flops(fn, repeat)
        floor = flops / rate
        total, floor_total = total + calls * sec, floor_total + calls * floor
        ratio = f"{sec / floor:.1f}" if flops else "–"
        rows.append(f"| {agent} | {name} | {calls} | {1e3 * sec:,.1f} | {flops / 1e9:.2f} | "
                    f"{1e3 * floor:,.1f} | {ratio} | {calls * sec:.1f} |")  # fmt: skip
    rows.append(f"| {agent} | **one iteration** | | | | {floor_total:.1f} s | "
                f"{total / floor_total:.1f} | **{total:.1f}** |")  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", default="point-robot-sparse", choices=ENV_IDS)
    parser.add_argument("--agents", default="simbelief,varibad")
    parser.add_argument("--out", default=None, help="also write the table to this file")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rate = matmul_rate()
    lines = [
        "| agent | phase | calls / iteration | ms / call | GFLOP / call | floor ms / call | "
        "× floor | s / iteration |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for agent in args.agents.split(","):
        lines += measure(args.env, agent, rate)
    header = (
        f"`python benchmarks/train_throughput.py --env {args.env}` on {platform.node()} "
        f"({platform.machine()}), torch {torch.__version__}, 1 thread, "
        f"{time.strftime('%Y-%m-%d %H:%M')}; `full` preset (the authors' batch sizes). "
        f"Matmul rate of this core: {rate / 1e9:.0f} GFLOP/s ([4096, 128] × [128, 128]).\n\n"
    )
    text = header + "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
