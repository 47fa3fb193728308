"""Shared test set-up: tests always run at smoke scale, on one thread."""

import os

os.environ.setdefault("SIMBELIEF_SCALE", "smoke")

import torch  # noqa: E402

torch.set_num_threads(1)
