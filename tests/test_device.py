"""Devices: ``--device auto|cpu|cuda`` checked and resolved, and checkpoints and agent files
written on a GPU read back on a machine without one (no GPU needed: the files are re-saved with
their tensors tagged ``cuda:0``, as ``torch.save`` does on a GPU)."""

import json

import pytest
import torch

from simbelief_edu.cli import main as cli
from simbelief_edu.configs import make_config
from simbelief_edu.device import resolve_device
from simbelief_edu.train import CHECKPOINT, load_run, resume, train
from simbelief_edu.trained import export_agent, load_agent

no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")


def _as_if_saved_on_a_gpu(path, monkeypatch) -> None:
    """Re-save the torch file at ``path`` with every tensor's storage tagged ``cuda:0``."""
    state = torch.load(path, weights_only=True)
    with monkeypatch.context() as m:
        m.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
        torch.save(state, path)


def _strip(history):
    return [{k: v for k, v in row.items() if k != "wall_time"} for row in history]


def test_unknown_device_is_named():
    with pytest.raises(ValueError, match="unknown device 'tpu'; choose one of auto, cpu, cuda"):
        make_config("point-robot-sparse", "smoke", device="tpu")


def test_auto_is_cuda_only_when_cuda_is_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(ValueError, match="device cuda asked for but torch.cuda.is_available"):
        resolve_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("command", ["train", "eval", "sweep"])
def test_cuda_without_cuda_is_a_one_line_error_and_exit_2(command, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    out = tmp_path / "run"
    argv = {"train": ["train", "--scale", "smoke", "--out", str(out)],
            "eval": ["eval", str(out)],
            "sweep": ["sweep", "--scale", "smoke", "--out", str(out)]}[command]  # fmt: skip
    assert cli([*argv, "--device", "cuda"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "error: device cuda asked for" in err
    assert "--device cpu" in err and not out.exists()  # nothing written


def test_a_run_saved_as_auto_keeps_auto_in_its_config(tmp_path):
    train(make_config("point-robot-sparse", "smoke", num_iters=1), tmp_path, progress=False)
    assert json.loads((tmp_path / "config.json").read_text())["device"] == "auto"


@no_cuda
def test_a_run_saved_on_a_gpu_resumes_on_the_cpu_exactly(tmp_path, monkeypatch):
    """A run started with ``--device cuda`` on a GPU, killed after 2 iterations and resumed
    with ``--device cpu`` here, ends like an uninterrupted CPU run."""
    cfg = make_config("point-robot-sparse", "smoke", num_iters=4, checkpoint_every=2)
    whole = train(cfg, tmp_path / "whole", progress=False)
    train(cfg, tmp_path / "split", stop_after=2, progress=False)
    path = tmp_path / "split" / CHECKPOINT
    state = torch.load(path, weights_only=True)
    state["config"]["device"] = "cuda"
    torch.save(state, path)
    _as_if_saved_on_a_gpu(path, monkeypatch)
    with pytest.raises(RuntimeError, match="deserialize object on a CUDA device"):
        torch.load(path, weights_only=True)  # the file really is a GPU checkpoint
    with pytest.raises(ValueError, match="device cuda asked for"):
        load_run(tmp_path / "split")  # its own device is not here: a clear error
    resumed = resume(tmp_path / "split", progress=False, device="cpu")
    assert resumed.device == torch.device("cpu") and resumed.cfg.device == "cpu"
    assert _strip(resumed.history) == _strip(whole.history)
    for p, q in zip(whole.agent.parameters(), resumed.agent.parameters(), strict=True):
        assert torch.equal(p, q)


@no_cuda
def test_an_agent_file_and_a_checkpoint_written_on_a_gpu_load_on_the_cpu(tmp_path, monkeypatch):
    run = train(make_config("point-robot-sparse", "smoke"), tmp_path / "run", progress=False)
    _as_if_saved_on_a_gpu(tmp_path / "run" / CHECKPOINT, monkeypatch)
    export_agent(tmp_path / "run", tmp_path / "agent.pt")  # reads the GPU checkpoint
    _as_if_saved_on_a_gpu(tmp_path / "agent.pt", monkeypatch)
    trained = load_agent(tmp_path / "agent.pt")
    assert next(trained.agent.parameters()).device == torch.device("cpu")
    assert trained.evaluate("test", 1) == run.evaluate("test", 1)
    assert cli(["eval", str(tmp_path / "agent.pt"), "--device", "cpu"]) == 0
