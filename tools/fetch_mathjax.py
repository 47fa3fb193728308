"""Put a local copy of MathJax 3 into book/_static/mathjax, so the book typesets offline.

The book's ``_config.yml`` sets ``mathjax_path: mathjax/tex-mml-chtml.js`` (relative to
``_static``), so the published pages never load MathJax from a CDN. This script takes the
package from the npm registry (``npm pack``, or a plain download of the same tarball checked
against the registry's sha512 when npm is absent) and copies the parts the page uses. It does
nothing when the copy is already there.  Usage:  python tools/fetch_mathjax.py  (or make assets)
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

VERSION = "3.2.2"
ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "book" / "_static" / "mathjax"
ENTRY = "tex-mml-chtml.js"
# what tex-mml-chtml.js loads: the TeX extensions it autoloads, the CHTML fonts, the menu and
# the accessibility components (with the speech rule engine they load on demand)
PARTS = [ENTRY, "input", "output", "ui", "a11y", "sre", "adaptors"]
REGISTRY = "https://registry.npmjs.org/mathjax"


def _pack_with_npm(dest: Path) -> Path | None:
    npm = shutil.which("npm")
    if npm is None:
        return None
    out = subprocess.run(
        [npm, "pack", f"mathjax@{VERSION}", "--pack-destination", str(dest), "--silent"],
        capture_output=True,
        text=True,
        check=True,
    )
    return dest / out.stdout.strip().splitlines()[-1]


def _download(dest: Path) -> Path:
    with urllib.request.urlopen(f"{REGISTRY}/{VERSION}", timeout=60) as response:
        dist = json.load(response)["dist"]
    with urllib.request.urlopen(dist["tarball"], timeout=300) as response:
        data = response.read()
    algorithm, expected = dist["integrity"].split("-", 1)
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if digest != expected:
        raise RuntimeError(f"mathjax {VERSION}: tarball does not match the registry's {algorithm}")
    tarball = dest / f"mathjax-{VERSION}.tgz"
    tarball.write_bytes(data)
    return tarball


def _complete(target: Path) -> bool:
    stamp = target / "VERSION"
    return (target / ENTRY).is_file() and stamp.is_file() and stamp.read_text().strip() == VERSION


def fetch(target: Path = TARGET) -> Path:
    """Make ``target / tex-mml-chtml.js`` exist (MathJax ``VERSION``); return the entry file."""
    if _complete(target):
        return target / ENTRY
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tarball = _pack_with_npm(tmp) or _download(tmp)
        with tarfile.open(tarball) as archive:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12
                archive.extractall(tmp / "x", filter="data")
            else:
                archive.extractall(tmp / "x")
        es5 = tmp / "x" / "package" / "es5"
        # assemble beside the target and rename it into place, so that two processes fetching
        # at once (pytest -n 2 on a fresh clone) never see half a copy
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".mathjax-", dir=target.parent.parent))
        for part in PARTS:
            source = es5 / part
            if source.is_dir():
                shutil.copytree(source, staging / part)
            else:
                shutil.copy2(source, staging / part)
        shutil.copy2(tmp / "x" / "package" / "LICENSE", staging / "LICENSE")
        (staging / "VERSION").write_text(VERSION + "\n")
        if _complete(target):  # another process was faster
            shutil.rmtree(staging)
        else:
            shutil.rmtree(target, ignore_errors=True)  # an incomplete copy or another version
            try:
                staging.rename(target)
            except OSError:  # another process was faster
                shutil.rmtree(staging, ignore_errors=True)
    return target / ENTRY


if __name__ == "__main__":
    entry = fetch(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET)
    print(f"MathJax {VERSION}: {entry.relative_to(ROOT) if entry.is_relative_to(ROOT) else entry}")
