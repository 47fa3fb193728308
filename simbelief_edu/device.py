"""Where the networks run: ``auto`` (a CUDA GPU when one is available, else the CPU), ``cpu``
or ``cuda``.

Networks, optimisers, the replay buffer and the belief states live on the device; the
environments stay on the CPU and hand their batched observations over once per step. The
random numbers of training (SAC and VAE noise, batch indices) are drawn on the CPU from the
global torch generator and moved to the device, so a seed gives the same numbers on any device
(the losses agree to float tolerance, not bit for bit) and a checkpoint's generator state is
one CPU tensor that resumes anywhere.
"""

from __future__ import annotations

import torch

DEVICES = ("auto", "cpu", "cuda")


def check_device(name: str) -> None:
    """Raise a one-line ``ValueError`` unless ``name`` is one of ``DEVICES``."""
    if name not in DEVICES:
        raise ValueError(f"unknown device {name!r}; choose one of {', '.join(DEVICES)}")


def resolve_device(name: str) -> torch.device:
    """The torch device for ``name``: ``auto`` is ``cuda`` when available, else ``cpu``;
    ``cuda`` on a machine without CUDA is an error naming the fix."""
    check_device(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device cuda asked for but torch.cuda.is_available() is False on "
                         "this machine; use --device cpu (or auto)")  # fmt: skip
    return torch.device(name)


def standard_normal(like: torch.Tensor) -> torch.Tensor:
    """ε ~ N(0, I) of the shape and device of ``like``, drawn on the CPU (the global torch
    generator) so the same seed gives the same ε on every device."""
    return torch.randn(like.shape, dtype=like.dtype).to(like.device)
