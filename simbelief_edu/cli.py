"""Command line: ``simbelief-edu train | eval | export | sweep``.

simbelief-edu train --env point-robot-sparse --agent simbelief --scale full --seed 0 --out runs/pr0
simbelief-edu train --resume runs/pr0          # continue a killed run from its checkpoint
simbelief-edu train --seeds 1 2 3 --out runs/pr  # 3 seeds in one process → runs/pr/seed<N>
simbelief-edu train --device cuda ...          # on a GPU (default auto: CUDA when available)
simbelief-edu eval runs/pr0                    # meta-test on test and OOD tasks → eval.json
simbelief-edu export runs/pr0 --out pr0.pt     # the policy and belief networks only
simbelief-edu eval pr0.pt                      # meta-test an exported agent → pr0.eval.json
simbelief-edu sweep sweeps/sparse_study.toml --jobs 2   # train, eval and report a grid of runs
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from simbelief_edu.configs import AGENTS, FULL, Config, make_config
from simbelief_edu.device import DEVICES, resolve_device
from simbelief_edu.runtime import SCALES, versions


def _override(text: str) -> tuple[str, object]:
    """Parse ``field=value`` with the field's type from Config."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"--set expects field=value, got {text!r}")
    key, value = text.split("=", 1)
    if key.startswith("env_kwargs."):  # one knob of the task family, its value as JSON
        try:
            return key, json.loads(value)
        except json.JSONDecodeError:
            return key, value  # a bare word: a string
    fields = {f.name: f for f in dataclasses.fields(Config)}
    if key not in fields:
        raise argparse.ArgumentTypeError(f"unknown config field {key!r}")
    kind = {"int": int, "float": float, "bool": _parse_bool}
    try:
        return key, kind.get(fields[key].type, str)(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{key} needs a {fields[key].type}, got {value!r}"
        ) from None


def _overrides(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """The ``--set`` pairs as config overrides, ``env_kwargs.NAME`` ones gathered in one dict."""
    out: dict[str, object] = {}
    for key, value in pairs:
        if key.startswith("env_kwargs."):
            out["env_kwargs"] = {**out.get("env_kwargs", {}), key.split(".", 1)[1]: value}
        else:
            out[key] = value
    return out


def _parse_bool(value: str) -> bool:
    words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    if value.lower() not in words:
        raise ValueError(value)
    return words[value.lower()]


def _git_hash() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def _resume_dirs(paths: list[str]) -> list[Path]:
    """The run folders to resume: each path, or the ``seed*`` folders of a K-seed run."""
    out = []
    for path in map(Path, paths):
        children = sorted(path.glob("seed*/checkpoint.pt"))
        if not (path / "checkpoint.pt").exists() and children:
            out += [c.parent for c in children]
        else:
            out.append(path)
    return out


def _seed_dirs(out: str, seeds: list[int]) -> list[Path]:
    """One folder per seed: ``out`` with ``{seed}`` filled in, else ``out/seed<N>``."""
    if "{seed}" in out:
        return [Path(out.replace("{seed}", str(s))) for s in seeds]
    return [Path(out) / f"seed{s}" for s in seeds]


def cmd_train(args: argparse.Namespace) -> None:
    from simbelief_edu.seeds import resume_seeds, train_seeds
    from simbelief_edu.train import resume, train

    if args.device is not None:
        resolve_device(args.device)  # fail before any folder is written
    if args.resume:
        given = [
            f"--{k}"
            for k in ("env", "agent", "scale", "seed", "seeds", "out")
            if getattr(args, k) is not None
        ]
        if args.set or given:
            dropped = ", ".join(given + (["--set"] if args.set else []))
            raise ValueError(f"--resume continues a run with its saved config; drop {dropped}")
        outs, cfgs = _resume_dirs(args.resume), None  # resume() takes the checkpoint's config
    else:
        args.env = args.env or "point-robot-sparse"
        args.agent = args.agent or "simbelief"
        args.scale = args.scale or "full"
        if args.seed is not None and args.seeds is not None:
            raise ValueError("give --seed or --seeds, not both")
        seeds = args.seeds or [0 if args.seed is None else args.seed]
        if args.out is None:
            raise ValueError("train needs --out DIR (or --resume DIR)")
        for seed in seeds:
            if seed < 0:
                raise ValueError(f"--seed must be non-negative, got {seed}")
        if len(set(seeds)) < len(seeds):
            raise ValueError(f"--seeds must be distinct, got {' '.join(map(str, seeds))}")
        outs = _seed_dirs(args.out, seeds) if args.seeds else [Path(args.out)]
        for out in outs:
            if (out / "checkpoint.pt").exists():
                raise ValueError(f"{out} already holds a run; use --resume {out} or another --out")
        overrides = {**_overrides(args.set), **({"device": args.device} if args.device else {})}
        cfgs = [make_config(args.env, args.scale, args.agent, seed=seed, **overrides)
                for seed in seeds]  # fmt: skip
    for out in outs:
        out.mkdir(parents=True, exist_ok=True)
        info = {"git": _git_hash(), **versions()}
        (out / "versions.json").write_text(json.dumps(info, indent=2))
        with open(out / "commands.txt", "a") as f:
            f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} git={_git_hash()} "
                    f"simbelief-edu {' '.join(args.argv)}\n")  # fmt: skip
    if len(outs) > 1:  # K seeds in one process, the update phase batched
        if cfgs is None:
            runs = resume_seeds(outs, stop_after=args.stop_after, device=args.device).runs
        else:
            runs = train_seeds(cfgs, outs, stop_after=args.stop_after).runs
    elif cfgs is None:
        runs = [resume(outs[0], stop_after=args.stop_after, device=args.device)]
    else:
        runs = [train(cfgs[0], outs[0], stop_after=args.stop_after)]
    for run, out in zip(runs, outs, strict=True):
        print(f"{run.iteration}/{run.cfg.num_iters} iterations, {run.wall_time:.0f} s; "
              f"results in {out}")  # fmt: skip


def cmd_eval(args: argparse.Namespace) -> None:
    from simbelief_edu.train import load_run
    from simbelief_edu.trained import load_agent

    if args.device is not None:
        resolve_device(args.device)
    source = Path(args.run_dir)
    if source.is_file():
        run = load_agent(source, args.device or "cpu")
    else:
        run = load_run(source, args.device)
    start = time.perf_counter()
    result = {
        "run_dir": str(args.run_dir),
        "iteration": run.iteration,
        "config": dataclasses.asdict(run.cfg),
        "git": _git_hash(),
        "versions": versions(),
        **{split: run.evaluate(split, run.cfg.eval_meta_episodes) for split in ("test", "ood")},
    }
    result["eval_seconds"] = round(time.perf_counter() - start, 2)
    default = source.with_suffix(".eval.json") if source.is_file() else source / "eval.json"
    out = Path(args.out) if args.out else default
    out.write_text(json.dumps(result, indent=2))
    for split in ("test", "ood"):
        r = result[split]
        print(f"{split}: return per episode {r['return']}, success per episode {r['success']}, "
              f"success any {r['success_any']:.2f}")  # fmt: skip
    print(f"wrote {out}")


def cmd_export(args: argparse.Namespace) -> None:
    from simbelief_edu.trained import export_agent

    path = export_agent(args.run_dir, args.out)
    print(f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB: config, belief networks, policy)")


def cmd_sweep(args: argparse.Namespace) -> None:
    from simbelief_edu.sweep import Grid, load_grid, sweep

    if args.device is not None and args.backend == "local":
        resolve_device(args.device)  # here, not in every run (a Ray cluster's GPUs are its own)
    grid = load_grid(args.grid) if args.grid else Grid()
    flags = {"envs": args.env, "agents": args.agent, "seeds": args.seeds, "scale": args.scale,
             "out": args.out, "device": args.device,
             "vectorize_seeds": args.vectorize_seeds or None}  # fmt: skip
    grid = dataclasses.replace(grid, **{k: v for k, v in flags.items() if v is not None})
    grid.overrides = {**grid.overrides, **_overrides(args.set)}
    failed = sweep(grid, args.backend, args.jobs, args.address)
    if failed:
        names = ", ".join(f"{t.env}/{t.agent}-seed{t.seed}" for t in failed)
        raise ValueError(f"{len(failed)} run(s) failed: {names} (see their sweep.log); "
                         "run the same sweep again to retry them")  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simbelief-edu",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="meta-train an agent")
    tr.add_argument("--env", choices=list(FULL), help="default: point-robot-sparse")
    tr.add_argument("--agent", choices=AGENTS, help="default: simbelief")
    tr.add_argument("--scale", choices=SCALES, help="default: full")
    tr.add_argument("--seed", type=int, help="default: 0")
    tr.add_argument("--seeds", type=int, nargs="+", metavar="N",
                    help="train these seeds in one process, the updates batched over seeds; "
                         "each gets OUT/seed<N> (or OUT with {seed} filled in)")  # fmt: skip
    tr.add_argument("--out", help="output folder: checkpoint.pt, metrics.csv, config.json")
    tr.add_argument("--resume", metavar="DIR", nargs="+",
                    help="continue the run in DIR from its checkpoint (several DIRs, or the "
                         "folder of a --seeds run: batched)")  # fmt: skip
    tr.add_argument("--stop-after", type=int, help="stop this call after N iterations")
    tr.add_argument("--device", choices=DEVICES,
                    help="auto (default: CUDA when available), cpu or cuda; with --resume, "
                         "the device to continue on")  # fmt: skip
    tr.add_argument("--set", type=_override, action="append", default=[], metavar="FIELD=VALUE",
                    help="override a config field, e.g. --set num_iters=200; the task "
                         "family's knobs: --set env_kwargs.vel_threshold=1.0")  # fmt: skip
    tr.set_defaults(func=cmd_train)
    ev = sub.add_parser("eval", help="meta-test a trained run on test and OOD tasks")
    ev.add_argument("run_dir", help="a run folder, or an agent file written by export")
    ev.add_argument("--out", help="JSON path (default RUN_DIR/eval.json, AGENT.eval.json)")
    ev.add_argument("--device", choices=DEVICES,
                    help="default: the run's own (auto), cpu for an agent file")  # fmt: skip
    ev.set_defaults(func=cmd_eval)
    ex = sub.add_parser(
        "export", help="write a run's policy and belief networks (a few hundred kB)"
    )
    ex.add_argument("run_dir")
    ex.add_argument("--out", required=True, help="file to write, e.g. agent.pt")
    ex.set_defaults(func=cmd_export)
    sw = sub.add_parser("sweep", help="train, meta-test and report a grid env × agent × seed")
    sw.add_argument("grid", nargs="?", help="TOML grid, e.g. sweeps/paper.toml (flags override)")
    sw.add_argument("--env", nargs="+", help="env ids (default: point-robot-sparse)")
    sw.add_argument("--agent", nargs="+", help="agents (default: simbelief varibad)")
    sw.add_argument("--seeds", nargs="+", type=int, help="seeds (default: 1)")
    sw.add_argument("--scale", choices=SCALES, help="default: full")
    sw.add_argument("--set", type=_override, action="append", default=[], metavar="FIELD=VALUE",
                    help="override a config field in every run")  # fmt: skip
    sw.add_argument("--out", help="runs go to OUT/<env>/<agent>-seed<N> (default: runs)")
    sw.add_argument("--device", choices=DEVICES, help="every run's device (default: auto)")
    sw.add_argument("--vectorize-seeds", action="store_true",
                    help="train the seeds of each env × agent together in one process")  # fmt: skip
    sw.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="runs at a time (local pool; CPUs of a new local Ray)")  # fmt: skip
    sw.add_argument("--backend", choices=("local", "ray"), default="local")
    sw.add_argument("--address", help="Ray cluster to join, e.g. auto (default: a local Ray)")
    sw.set_defaults(func=cmd_sweep)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    args.argv = argv
    if args.threads < 1:
        parser.error(f"--threads must be >= 1, got {args.threads}")
    if getattr(args, "stop_after", None) is not None and args.stop_after < 1:
        parser.error(f"--stop-after must be >= 1, got {args.stop_after}")
    torch.set_num_threads(args.threads)
    try:
        args.func(args)
    except (ValueError, FileNotFoundError, FloatingPointError, ImportError) as err:
        print(f"simbelief-edu: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
