"""Helpers for the book's notebooks: show the package's own source next to the text."""

from __future__ import annotations

import inspect
from typing import Any


def show_source(obj: Any) -> Any:
    """Display the source of a package function or class as a highlighted code block.

    The book shows code this way rather than copying it, so text and package cannot drift.
    Returns an IPython Markdown object in a notebook, or the plain source elsewhere.
    """
    source = inspect.getsource(obj)
    module = inspect.getmodule(obj)
    where = f"# from {module.__name__}\n" if module else ""
    try:
        from IPython.display import Markdown
    except ImportError:  # pragma: no cover - IPython ships with the [book] extra
        return where + source
    return Markdown(f"```python\n{where}{source}```")
