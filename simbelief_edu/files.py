"""Reading and writing a run's files so that a bad file gives one clear line, not a traceback.

A run folder holds ``checkpoint.pt`` (everything a resumed run needs), ``config.json`` (its
settings, readable by people and by ``simbelief-edu sweep``) and, once exported, ``agent.pt``.
Files can be truncated (a full disk, a copy cut short) or corrupt. ``load_state`` and
``read_config`` turn every such failure into a :class:`BadFileError` that names the file, what
is wrong and what to do; the CLI prints it as one line and exits with status 2.
``atomic_save`` writes a file under a temporary name and renames it, so a run killed while it
writes a checkpoint keeps its previous one.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import zipfile
from pathlib import Path

import torch

from simbelief_edu.configs import Config


class BadFileError(ValueError):
    """A run file that cannot be read: truncated, corrupt, or not the kind of file expected."""


def atomic_save(obj: object, path: str | Path) -> None:
    """``torch.save`` to ``path`` through a temporary file and a rename: a crash or kill during
    the write leaves any previous ``path`` whole."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)  # atomic on POSIX and Windows


def atomic_write_text(text: str, path: str | Path) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def load_state(path: str | Path, what: str, keys: tuple[str, ...], remedy: str) -> dict:
    """``torch.load(path, weights_only=True)`` of a dict holding ``keys``; any failure raises
    :class:`BadFileError` naming ``path``, ``what`` it should be and the ``remedy``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no {what} at {path}")
    try:
        state = torch.load(path, weights_only=True, map_location="cpu")
    except (RuntimeError, EOFError, OSError, pickle.UnpicklingError, zipfile.BadZipFile) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise BadFileError(
            f"{path} is not a readable {what} (truncated or corrupt: {reason[:120]}); {remedy}"
        ) from None
    missing = [k for k in keys if not isinstance(state, dict) or k not in state]
    if missing:
        article = "an" if what[0] in "aeiou" else "a"
        raise BadFileError(f"{path} is not {article} {what} (no {', '.join(missing)}); {remedy}")
    return state


def config_from_dict(values: object, source: str | Path, remedy: str) -> Config:
    """A :class:`Config` from saved ``values``, or :class:`BadFileError` naming ``source``."""
    fields = {f.name for f in dataclasses.fields(Config)}
    if not isinstance(values, dict):
        raise BadFileError(f"{source}: the config is not a JSON object; {remedy}")
    unknown = sorted(set(values) - fields)
    if unknown:
        raise BadFileError(f"{source}: unknown config field(s) {', '.join(unknown)}; {remedy}")
    try:
        return Config(**values)
    except (TypeError, ValueError) as err:
        raise BadFileError(f"{source}: {err}; {remedy}") from None


def read_config(path: str | Path, remedy: str) -> Config:
    """The :class:`Config` saved as JSON at ``path`` (``config.json`` of a run folder)."""
    path = Path(path)
    try:
        values = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise BadFileError(f"{path} is not valid JSON ({err}); {remedy}") from None
    return config_from_dict(values, path, remedy)
