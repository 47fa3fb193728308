"""Bad run files: a truncated or corrupt checkpoint, agent file or config gives one line that
names the file and what to do (exit 2), and a kill during a checkpoint write keeps the
previous checkpoint loadable."""

import json
import shutil

import pytest
import torch

from simbelief_edu import files
from simbelief_edu.cli import main as cli
from simbelief_edu.configs import make_config
from simbelief_edu.files import BadFileError
from simbelief_edu.train import CHECKPOINT, load_run, resume, train
from simbelief_edu.trained import export_agent, load_agent


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    cfg = make_config("point-robot-sparse", "smoke", num_iters=4, checkpoint_every=2)
    train(cfg, out, stop_after=2, progress=False)
    export_agent(out, out / "agent.pt")
    return out


@pytest.fixture
def copy(run_dir, tmp_path):
    dest = tmp_path / "run"
    shutil.copytree(run_dir, dest)
    return dest


def _truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _one_line_error(capsys, *names):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("simbelief-edu: error: ")
    for name in names:
        assert name in err, err
    return err


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_bad_checkpoint_on_resume_is_one_line(copy, capsys, damage):
    path = copy / CHECKPOINT
    if damage == "truncate":
        _truncate(path)
    elif damage == "garbage":
        path.write_bytes(b"not a checkpoint at all\n" * 100)
    else:
        path.write_bytes(b"")
    assert cli(["train", "--resume", str(copy)]) == 2
    err = _one_line_error(capsys, str(path), "truncated or corrupt", "train again")
    assert "Traceback" not in err


def test_checkpoint_without_its_parts_is_named(copy):
    torch.save({"config": {}, "iteration": 0}, copy / CHECKPOINT)
    with pytest.raises(BadFileError, match="is not a checkpoint .no agent, sac"):
        load_run(copy)


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_bad_agent_file_on_eval_is_one_line(copy, capsys, damage):
    path = copy / "agent.pt"
    _truncate(path) if damage == "truncate" else path.write_bytes(b"\x00\x01" * 300)
    assert cli(["eval", str(path)]) == 2
    _one_line_error(capsys, str(path), "truncated or corrupt", "simbelief-edu export")
    assert load_agent(run_dir_agent(copy)).iteration == 2


def run_dir_agent(folder):
    """A fresh export of the (undamaged) checkpoint, to show the remedy works."""
    return export_agent(folder, folder / "again.pt")


@pytest.mark.parametrize("command", ["resume", "eval"])
def test_truncated_config_json_is_one_line(copy, capsys, command):
    _truncate(copy / "config.json", 0.6)
    argv = ["train", "--resume", str(copy)] if command == "resume" else ["eval", str(copy)]
    assert cli(argv) == 2
    _one_line_error(capsys, "config.json", "not valid JSON", "delete")
    (copy / "config.json").unlink()  # the remedy: resume rewrites it from the checkpoint
    resume(copy, stop_after=1, progress=False)
    assert json.loads((copy / "config.json").read_text())["seed"] == 0


def test_config_json_that_disagrees_with_the_checkpoint_names_the_field(copy, capsys):
    values = json.loads((copy / "config.json").read_text())
    values["lr_policy"] = 1.0
    (copy / "config.json").write_text(json.dumps(values))
    assert cli(["train", "--resume", str(copy)]) == 2
    _one_line_error(capsys, "config.json", "disagrees", "lr_policy")


def test_config_json_with_an_unknown_field_is_named(copy):
    values = json.loads((copy / "config.json").read_text())
    values["learning_rate"] = 1.0
    (copy / "config.json").write_text(json.dumps(values))
    with pytest.raises(BadFileError, match="unknown config field.s. learning_rate"):
        load_run(copy)


def test_a_kill_during_a_checkpoint_write_keeps_the_previous_checkpoint(copy, monkeypatch):
    """The write is cut off half-way (as by a kill or a full disk): the checkpoint on disk is
    still the previous one, whole, and the run resumes from it."""
    before = (copy / CHECKPOINT).read_bytes()
    real_save = torch.save

    def cut_short(obj, f):
        real_save(obj, f)
        _truncate(type(copy)(f))
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(files.torch, "save", cut_short)
    with pytest.raises(KeyboardInterrupt):
        resume(copy, stop_after=2, progress=False)
    monkeypatch.undo()
    assert (copy / CHECKPOINT).read_bytes() == before
    assert load_run(copy).iteration == 2
    assert resume(copy, progress=False).iteration == 4
