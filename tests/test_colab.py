"""Chapter 1 runs on a simulated Colab: a fresh environment with only what Colab has, the
notebook's own install cell, and the package built from this checkout.

The simulation:

1. A *base* venv (plain ``python -m venv``, no system site-packages) holds what Colab ships
   and this project relies on: torch 2.13.0 (the CPU wheel, from local disk when
   ``$SIMBELIEF_TORCH_WHEEL`` or ``/opt/wheels`` has it), numpy, matplotlib, ipywidgets, and
   ipykernel/nbclient to run the notebook. It is cached in ``$SIMBELIEF_COLAB_CACHE``
   (default ``/tmp/simbelief-colab``), keyed by that list and the Python version, and
   rebuilt when missing (a clean clone pays about two minutes once).
2. Each run makes a fresh *session* venv on top of it: a plain venv whose only link to the
   base is a ``.pth`` file, so the install cell's pip installs the package and every
   dependency the base lacks into an empty site-packages, exactly as on a new Colab runtime.
3. A wheel built from the checkout (``pyproject.toml``, ``README.md``, ``LICENSE``,
   ``simbelief_edu/``) replaces the install cell's git URL, and the notebook runs in a kernel
   where ``google.colab`` is imported before the first cell (as on Colab), outside the
   checkout and without ``PYTHONPATH``, so only the installed package can be imported.

``test_a_missing_dependency_fails`` removes ``scipy`` from the wheel's dependencies and
checks that chapter 1 then fails with ``ModuleNotFoundError``. Dependencies come from the
package index (or pip's cache), as on Colab. Set ``SIMBELIEF_SKIP_COLAB=1`` to skip.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from simbelief_edu.publish import install_source, repository

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "book/ch01_bamdp.ipynb"
COLAB_PACKAGES = ["numpy", "matplotlib", "ipywidgets", "ipykernel<7", "nbclient"]
TORCH = "torch==2.13.0"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
CACHE = Path(os.environ.get("SIMBELIEF_COLAB_CACHE", "/tmp/simbelief-colab"))
PY = f"python{sys.version_info.major}.{sys.version_info.minor}"

pytestmark = pytest.mark.skipif(
    os.environ.get("SIMBELIEF_SKIP_COLAB") == "1", reason="SIMBELIEF_SKIP_COLAB=1"
)


def _torch_wheel() -> str:
    wheel = os.environ.get("SIMBELIEF_TORCH_WHEEL")
    if wheel:
        return wheel
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    local = sorted(Path("/opt/wheels").glob(f"torch-2.13.0+cpu-{tag}-*.whl"))
    return str(local[0]) if local else TORCH


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a Colab process: no PYTHONPATH, no user site-packages."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def base_venv() -> Path:
    """The cached venv with Colab's preinstalled packages (built once)."""
    torch = _torch_wheel()
    key = hashlib.sha256(json.dumps([PY, Path(torch).name, COLAB_PACKAGES]).encode()).hexdigest()
    base = CACHE / f"base-{key[:12]}"
    if (base / "ok").exists():
        return base
    CACHE.mkdir(parents=True, exist_ok=True)
    building = CACHE / f"building-{key[:12]}-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    _run([sys.executable, "-m", "venv", str(building)], env=_clean_env())
    pip = [str(building / "bin" / "python"), "-m", "pip", "install", "-q"]
    index = [] if torch.endswith(".whl") else ["--index-url", TORCH_INDEX]
    _run([*pip, torch, *index], env=_clean_env())
    _run([*pip, *COLAB_PACKAGES], env=_clean_env())
    (building / "ok").write_text("")
    try:  # `python -m` works from the moved venv (only the bin/ scripts keep the old path)
        building.rename(base)
    except OSError:  # another run finished first
        shutil.rmtree(building)
    return base


def build_wheel(src_root: Path, out: Path, drop: str | None = None) -> Path:
    """A wheel of the checkout (``drop``: a dependency to remove from pyproject first)."""
    src = out / "src"
    src.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(src_root / name, src / name)
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(src_root / "simbelief_edu", src / "simbelief_edu", ignore=skip)
    if drop:
        pyproject = (src / "pyproject.toml").read_text()
        pattern = rf'\n\s*"{re.escape(drop)}[^"]*",'
        assert re.search(pattern, pyproject), f"{drop} is not a dependency"
        (src / "pyproject.toml").write_text(re.sub(pattern, "", pyproject, count=1))
    _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out / "w"), str(src)],
        env=_clean_env(),
    )
    return next((out / "w").glob("simbelief_edu-*.whl"))


RUNNER = textwrap.dedent(
    """
    import sys, nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    nb = nbformat.read(sys.argv[1], as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="colab-sim")
    try:
        client.execute()
    finally:
        nbformat.write(nb, sys.argv[2])
    """
)


def run_on_colab(tmp: Path, wheel: Path) -> tuple[subprocess.CompletedProcess, Path]:
    """Execute the chapter in a fresh session venv on top of the base; return the result."""
    base = base_venv()
    session = tmp / "session"
    _run([sys.executable, "-m", "venv", "--without-pip", str(session)], env=_clean_env())
    site = session / "lib" / PY / "site-packages"
    (site / "colab_base.pth").write_text(str(base / "lib" / PY / "site-packages") + "\n")
    python = session / "bin" / "python"
    # google.colab is imported before the first cell, as on Colab
    fake = tmp / "fake-colab"
    (fake / "google" / "colab").mkdir(parents=True)
    (fake / "google" / "colab" / "__init__.py").write_text('"""Stand-in for Colab."""\n')
    kernel = tmp / "jupyter" / "kernels" / "colab-sim"
    kernel.mkdir(parents=True)
    launch = (
        f"import sys; sys.path.insert(0, {str(fake)!r}); import google.colab; "
        "from ipykernel.kernelapp import launch_new_instance; launch_new_instance()"
    )
    spec = {
        "argv": [str(python), "-c", launch, "-f", "{connection_file}"],
        "display_name": "Colab (simulated)",
        "language": "python",
    }
    (kernel / "kernel.json").write_text(json.dumps(spec))
    # the install cell, with the local wheel instead of the git URL
    repo = repository(ROOT)
    nb = nbformat.read(ROOT / CHAPTER, as_version=4)
    assert nb.cells[1].source == install_source(repo), "the install cell is not publish's"
    nb.cells[1].source = nb.cells[1].source.replace(
        repo.requirement, f"simbelief-edu @ {wheel.as_uri()}"
    )
    work = tmp / "content"  # Colab's working directory: no checkout in sight
    work.mkdir()
    notebook, executed = work / "chapter.ipynb", tmp / "executed.ipynb"
    nbformat.write(nb, notebook)
    runner = tmp / "runner.py"
    runner.write_text(RUNNER)
    env = _clean_env(
        JUPYTER_PATH=str(tmp / "jupyter"),
        JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
        SIMBELIEF_SCALE="smoke",
        MUJOCO_GL=os.environ.get("MUJOCO_GL", "egl"),
    )
    result = subprocess.run(
        [str(python), str(runner), str(notebook), str(executed)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return result, session


def test_chapter_1_runs_on_colab(tmp_path):
    wheel = build_wheel(ROOT, tmp_path / "wheel")
    result, session = run_on_colab(tmp_path, wheel)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    # the package came from the wheel the install cell installed, into the session venv
    where = _run(
        [str(session / "bin" / "python"), "-c", "import simbelief_edu as p; print(p.__file__)"],
        env=_clean_env(),
        cwd=tmp_path,
    ).stdout.strip()
    assert where.startswith(str(session / "lib")), where


def test_a_missing_dependency_fails(tmp_path):
    wheel = build_wheel(ROOT, tmp_path / "wheel", drop="scipy")
    result, _ = run_on_colab(tmp_path, wheel)
    assert result.returncode != 0
    error = result.stderr[-3000:]
    assert "ModuleNotFoundError" in error and "scipy" in error, error
