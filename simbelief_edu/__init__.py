"""simbelief_edu: SimBelief (Zhang & Qian, ICLR 2025) written to be read, with its book."""

import os
import sys

# MuJoCo picks its OpenGL backend at import time; headless Linux (CI, Colab) needs EGL.
if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
    os.environ.setdefault("MUJOCO_GL", "egl")

from simbelief_edu.runtime import scale, seed_everything  # noqa: E402

__all__ = ["scale", "seed_everything"]
__version__ = "0.1.0"

from simbelief_edu import envs  # noqa: E402,F401  (registers the gymnasium ids)
