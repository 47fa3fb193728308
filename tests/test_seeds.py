"""K seeds in one process (``simbelief_edu.seeds``): batched, they train like K separate runs
(same losses and parameters to float tolerance), resume exactly, and write the same folders."""

import dataclasses

import pytest
import torch

from simbelief_edu.cli import main as cli
from simbelief_edu.configs import make_config
from simbelief_edu.seeds import resume_seeds, train_seeds
from simbelief_edu.train import load_run, train

SEEDS = (1, 2)


def _params(run) -> list[torch.Tensor]:
    rnd = [] if run.rnd is None else list(run.rnd.state_dict().values())  # exploration bonus
    return [p.detach() for p in (*run.agent.parameters(), *run.sac.parameters(), *rnd)]


def _losses(run) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "wall_time"} for row in run.history]


@pytest.mark.parametrize(
    "agent, overrides",
    [
        ("simbelief", {}),
        ("varibad", {}),
        # the elementwise critic clamp and the per-seed gradient-norm clip both active, α tuned
        ("simbelief", dict(critic_grad_clip=0.01, latent_grad_clip=0.05, autotune_alpha=True)),
    ],
)
def test_k_seeds_batched_equal_k_separate_runs(agent, overrides, tmp_path):
    cfgs = [make_config("point-robot-sparse", "smoke", agent, seed=s, eval_every=1, **overrides)
            for s in SEEDS]  # fmt: skip
    separate = [train(c, tmp_path / f"alone{c.seed}", progress=False) for c in cfgs]
    outs = [tmp_path / f"seed{s}" for s in SEEDS]
    batched = train_seeds(cfgs, outs, progress=False, batched=True).runs
    for alone, run in zip(separate, batched, strict=True):
        assert len(run.history) == len(alone.history) == 3
        for row, ref in zip(_losses(run), _losses(alone), strict=True):
            assert row.keys() == ref.keys()
            for key in row:
                assert row[key] == pytest.approx(ref[key], rel=1e-4, abs=1e-6), key
        for p, q in zip(_params(run), _params(alone), strict=True):
            torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)
    # the two seeds did train differently
    assert not torch.allclose(_params(batched[0])[0], _params(batched[1])[0])
    for s in SEEDS:  # each seed's folder holds what a separate run writes
        names = {p.name for p in (tmp_path / f"seed{s}").iterdir()}
        assert names == {p.name for p in (tmp_path / f"alone{s}").iterdir()}


@pytest.mark.parametrize("batched", [True, False])
def test_a_killed_and_resumed_k_seed_run_ends_like_an_uninterrupted_one(tmp_path, batched):
    cfgs = [make_config("point-robot-sparse", "smoke", seed=s, num_iters=4, checkpoint_every=2)
            for s in SEEDS]  # fmt: skip
    wholes = [tmp_path / f"whole{s}" for s in SEEDS]
    whole = train_seeds(cfgs, wholes, progress=False, batched=batched)
    split = [tmp_path / f"split{s}" for s in SEEDS]
    train_seeds(cfgs, split, stop_after=2, progress=False, batched=batched)
    assert [load_run(d).iteration for d in split] == [2, 2]
    resumed = resume_seeds(split, progress=False, batched=batched)
    for a, b in zip(whole.runs, resumed.runs, strict=True):
        assert _losses(a) == _losses(b)
        assert all(torch.equal(p, q) for p, q in zip(_params(a), _params(b), strict=True))
        assert b.iteration == 4


@pytest.mark.parametrize("bonus", [0.0, 0.5])
def test_unbatched_seeds_are_exactly_separate_runs(tmp_path, bonus):
    """The default on a CPU: the seeds in lockstep, each update phase its own run's (with an
    exploration bonus too: only the batched update refuses one, ``tests/test_rnd.py``)."""
    cfgs = [make_config("point-robot-sparse", "smoke", seed=s, eval_every=1,
                        exploration_bonus=bonus) for s in SEEDS]  # fmt: skip
    seeds = train_seeds(cfgs, [tmp_path / f"seed{s}" for s in SEEDS], progress=False)
    assert not seeds.batched  # no GPU here
    for cfg, run in zip(cfgs, seeds.runs, strict=True):
        alone = train(cfg, tmp_path / f"alone{cfg.seed}", progress=False)
        assert _losses(run) == _losses(alone)
        assert all(torch.equal(p, q) for p, q in zip(_params(run), _params(alone), strict=True))


def test_seeds_batched_together_must_share_their_config(tmp_path):
    cfg = make_config("point-robot-sparse", "smoke")
    other = dataclasses.replace(cfg, seed=1, num_iters=5)
    with pytest.raises(ValueError, match="share every setting but the seed"):
        train_seeds([cfg, other], [tmp_path / "a", tmp_path / "b"], progress=False)
    with pytest.raises(ValueError, match="its own output folder"):
        train_seeds([cfg, cfg], [tmp_path / "a", tmp_path / "a"], progress=False)


def test_cli_trains_and_resumes_seeds_in_one_process(tmp_path):
    out = tmp_path / "runs"
    argv = ["train", "--scale", "smoke", "--seeds", "1", "2", "--out", str(out)]
    assert cli([*argv, "--stop-after", "1"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["seed1", "seed2"]
    assert cli(["train", "--resume", str(out)]) == 0  # the folder of a K-seed run
    assert [load_run(out / f"seed{s}").iteration for s in SEEDS] == [3, 3]
    assert "--seeds 1 2" in (out / "seed2" / "commands.txt").read_text()
    assert load_run(out / "seed2").cfg.seed == 2


def test_sweep_with_vectorized_seeds_trains_each_seed_like_a_separate_run(tmp_path, monkeypatch):
    import csv

    from simbelief_edu import sweep

    monkeypatch.setattr(sweep, "report", lambda grid: None)
    out = tmp_path / "sweep"
    argv = ["sweep", "--agent", "simbelief", "--seeds", "1", "2", "--scale", "smoke",
            "--set", "eval_every=1", "--out", str(out), "--vectorize-seeds"]  # fmt: skip
    assert cli(argv) == 0
    for s in SEEDS:
        folder = out / "point-robot-sparse" / f"simbelief-seed{s}"
        assert (folder / "eval.json").is_file()
        with open(folder / "metrics.csv") as f:
            rows = list(csv.DictReader(f))
        alone = train(make_config("point-robot-sparse", "smoke", seed=s, eval_every=1),
                      tmp_path / f"alone{s}", progress=False)  # fmt: skip
        for row, ref in zip(rows, _losses(alone), strict=True):
            for key in ("belief_loss", "critic", "actor", "metric"):
                assert float(row[key]) == pytest.approx(ref[key], rel=1e-4), key
    log = (out / "point-robot-sparse" / "simbelief-seed1" / "sweep.log").read_text()
    assert "simbelief point-robot-sparse × 2 seeds" in log  # one process for both seeds
    assert "--seeds 1 2" in (folder / "commands.txt").read_text()
