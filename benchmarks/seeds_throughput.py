"""Seconds per training iteration per seed with K seeds in one process, on a CPU or a GPU.

    python benchmarks/seeds_throughput.py --device cpu --ks 1,2,5,10 --out FILE.md
    python benchmarks/seeds_throughput.py --device cuda --ks 1,8,32 \\
        --envs point-robot-sparse,cheetah-vel-sparse --out FILE.md       # benchmarks/gpu.sh

For each env and K it builds K ``full``-preset SimBelief runs (the authors' batch sizes) as one
``SeedRuns`` and measures, like ``train_throughput.py``, phase by phase rather than whole
iterations (an iteration is 1000-2000 updates):

- the batched update phase: seconds per ``SeedRuns.update_step`` (one SAC update and one
  latent step of all K seeds), times ``rl_updates_per_iter``;
- the per-seed phases, a loop over seeds in ``SeedRuns``: one collection (``tasks_per_iter`` ×
  ``rollouts_per_task`` meta-episodes) and ``belief_updates_per_iter`` ELBO steps, measured on
  seed 0, and the refresh of a full buffer, extrapolated from a refresh of the filled part
  (its cost is linear in the stored meta-episodes), times K.

s / iteration / seed = (K × per-seed phases + update phase) / K. The replay buffers hold
``--buffer-episodes`` meta-episodes per task (the full preset's hundred would need 0.5 GB per
seed for nothing the timing sees); their full size is reported beside the peak GPU memory.
With ``--check-losses`` it also trains the env's ``smoke`` preset for 2 iterations, K = 2
batched, on ``--device`` and on the CPU from the same seeds, and prints both runs' losses:
they agree to float tolerance (the random numbers are drawn on the CPU on every device).
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import torch

from simbelief_edu.configs import make_config
from simbelief_edu.device import resolve_device
from simbelief_edu.envs import ENV_IDS
from simbelief_edu.seeds import SeedRuns, train_seeds
from simbelief_edu.train import Run, sac_inputs


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device: torch.device, repeat: int) -> float:
    """Seconds per call of ``fn`` after one warm-up call."""
    fn()
    sync(device)
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    sync(device)
    return (time.perf_counter() - start) / repeat


def build(env: str, k: int, device: str, scale: str, buffer_episodes: int) -> SeedRuns:
    """K SimBelief runs of ``env`` with a few random meta-episodes in ``rl_batch_tasks`` tasks."""
    runs, states = [], []
    for seed in range(k):
        cfg = make_config(env, scale, "simbelief", seed=seed, device=device,
                          buffer_episodes_per_task=buffer_episodes)  # fmt: skip
        run = Run(cfg)
        n = max(cfg.rl_batch_tasks, cfg.belief_batch_tasks)
        for _ in range(2):
            run.collect(np.arange(n), random=True)
        runs.append(run)
        states.append(torch.get_rng_state())
    return SeedRuns(runs, states, batched=True)


def full_buffer_gib(run: Run, capacity: int) -> float:
    """GiB of one seed's replay buffer at ``capacity`` meta-episodes per task."""
    per_slot = sum(v[:, :1].numel() * v.element_size() for v in run.buffer.data.values())
    return per_slot * capacity / 2**30


def single_seed_step(run: Run) -> None:
    """One update of the single-seed path (``Run.update_policy``'s loop body), for reference."""
    b = run.sac_batch()
    run.sac.update(*sac_inputs(run.agent, b))
    if run.latent_opts:
        run.latent_step(b)


def measure(env: str, k: int, args, device: torch.device) -> list[str]:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    seeds = build(env, k, args.device, args.scale, args.buffer_episodes)
    cfg, run = seeds.cfg, seeds.runs[0]
    update = timed(seeds.update_step, device, args.updates)
    collect = timed(lambda: run.collect(np.arange(cfg.tasks_per_iter),
                                        repeats=cfg.rollouts_per_task), device, 1)  # fmt: skip
    belief = timed(run.update_beliefs, device, 1) / cfg.belief_updates_per_iter
    stored = int(run.buffer.count.clamp(max=run.buffer.capacity).sum())
    full = cfg.num_train_tasks * make_config(env, args.scale).buffer_episodes_per_task
    refresh = timed(lambda: run.buffer.refresh_hidden(run.agent), device, 1) * full / stored
    per_seed = collect + cfg.belief_updates_per_iter * belief + refresh
    total = k * per_seed + cfg.rl_updates_per_iter * update
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else float("nan")
    buffer = full_buffer_gib(run, make_config(env, args.scale).buffer_episodes_per_task)
    rows = [f"| {env} | {k} | {1e3 * update:.1f} | {cfg.rl_updates_per_iter * update / k:.1f} | "
            f"{per_seed:.1f} | **{total / k:.1f}** | {peak:.2f} | {buffer:.2f} |"]  # fmt: skip
    if k == 1:  # the single-seed Run, no vmap: the reference the K path is compared with
        single = timed(lambda: single_seed_step(run), device, args.updates)
        total = per_seed + cfg.rl_updates_per_iter * single
        rows.append(f"| {env} | 1, single-seed `Run` | {1e3 * single:.1f} | "
                    f"{cfg.rl_updates_per_iter * single:.1f} | {per_seed:.1f} | **{total:.1f}** | "
                    f"{peak:.2f} | {buffer:.2f} |")  # fmt: skip
    return rows


LOSSES = ("belief_loss", "critic", "actor", "metric")


def check_losses(env: str, device: str, tmp: Path) -> list[str]:
    """Losses of the first 2 iterations of the smoke preset, K = 2 batched, on ``device`` and
    on the CPU from the same seeds, and their largest relative difference."""
    histories = {}
    for where in (device, "cpu"):
        cfgs = [make_config(env, "smoke", seed=s, device=where, num_iters=2, eval_every=1)
                for s in (0, 1)]  # fmt: skip
        outs = [tmp / where / f"seed{s}" for s in (0, 1)]
        seeds = train_seeds(cfgs, outs, progress=False, batched=True)
        histories[where] = [row for run in seeds.runs for row in run.history]
    rows = []
    for seed_row, (here, cpu) in enumerate(zip(histories[device], histories["cpu"], strict=True)):
        diff = max(abs(here[k] - cpu[k]) / max(abs(cpu[k]), 1e-8) for k in LOSSES)
        shown = lambda row: ", ".join(f"{row[k]:.6g}" for k in LOSSES)  # noqa: E731
        rows.append(f"| {env} | {seed_row // 2} | {here['iteration']} | {shown(here)} | "
                    f"{shown(cpu)} | {diff:.1e} |")  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--envs", default="point-robot-sparse")
    parser.add_argument("--ks", default="1,2,5,10", help="numbers of seeds, comma-separated")
    parser.add_argument("--scale", default="full", choices=("full", "smoke"))
    parser.add_argument("--updates", type=int, default=20, help="timed update steps per K")
    parser.add_argument("--buffer-episodes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--check-losses", action="store_true")
    parser.add_argument("--tmp", default="/tmp/simbelief-seeds-bench")
    parser.add_argument("--out", help="also write the tables to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    envs = args.envs.split(",")
    for env in envs:
        if env not in ENV_IDS:
            raise SystemExit(f"unknown env {env!r}; choose from {', '.join(ENV_IDS)}")
    name = torch.cuda.get_device_name() if device.type == "cuda" else platform.processor()
    lines = [
        f"`python benchmarks/seeds_throughput.py --device {args.device} --envs {args.envs} "
        f"--ks {args.ks} --scale {args.scale}` on {platform.node()} ({device}: {name or '?'}), "
        f"torch {torch.__version__}, {args.threads} CPU thread(s), "
        f"{time.strftime('%Y-%m-%d %H:%M')}.\n",
        "| env | K | ms / batched update (K seeds) | update phase s / iter / seed | "
        "per-seed phases s / iter | **s / iteration / seed** | peak GPU GiB | "
        "full buffer GiB / seed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for env in envs:
        for k in map(int, args.ks.split(",")):
            rows = measure(env, k, args, device)
            lines += rows
            print("\n".join(rows), flush=True)
    if args.check_losses:
        lines += ["", f"Losses ({', '.join(LOSSES)}) of the `smoke` preset's first 2 iterations, "
                  f"K = 2 seeds batched, on {device} and on the CPU:", "",
                  f"| env | seed | iteration | {device} | cpu | max relative difference |",
                  "|---|---|---|---|---|---|"]  # fmt: skip
        for env in envs:
            lines += check_losses(env, args.device, Path(args.tmp))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
    return text


if __name__ == "__main__":
    main()
