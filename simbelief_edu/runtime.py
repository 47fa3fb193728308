"""Run-time switches shared by the package, the book and the tests: scale, seeding, and the
versions a result records beside it."""

from __future__ import annotations

import os
import platform
import random
from importlib import metadata

import numpy as np
import torch

SCALES = ("smoke", "full")
SCALE_ENV_VAR = "SIMBELIEF_SCALE"


def scale(default: str = "full") -> str:
    """Return the run scale chosen by the ``SIMBELIEF_SCALE`` environment variable.

    ``"smoke"`` runs every notebook in seconds (CI uses it); ``"full"`` uses the paper's
    settings. Readers get ``default`` ("full") when the variable is unset.
    """
    value = os.environ.get(SCALE_ENV_VAR, default).strip().lower()
    if value not in SCALES:
        raise ValueError(
            f"{SCALE_ENV_VAR}={value!r} is not a known scale; use one of {', '.join(SCALES)}"
        )
    return value


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python, NumPy and PyTorch; return a fresh NumPy generator for this seed.

    With the same seed, runs on CPU are bit-for-bit reproducible.
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def versions() -> dict[str, str]:
    """The versions that decide a run's numbers: Python, platform, torch, numpy, gymnasium,
    mujoco (and panda-gym where installed). Bit-identical reruns hold only on one machine
    with the same versions."""
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for package in ("torch", "numpy", "gymnasium", "mujoco", "panda-gym"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    return out
