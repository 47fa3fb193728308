"""Auto-checks for exercises: compare a learner's function with the reference on random inputs.

Each check calls both functions on the same seeded random inputs and, at the first
mismatch, prints which input was used, what was expected and what came back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch


def _as_array(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _short(x: Any, limit: int = 300) -> str:
    text = np.array2string(_as_array(x), precision=5, threshold=20) if _is_numeric(x) else repr(x)
    return text if len(text) <= limit else text[:limit] + " …"


def _is_numeric(x: Any) -> bool:
    try:
        return _as_array(x).dtype.kind in "biuf"
    except Exception:
        return False


def _mismatch(expected: Any, got: Any, rtol: float, atol: float) -> str | None:
    """Return why ``got`` differs from ``expected``, or None when they agree."""
    if isinstance(expected, tuple | list):
        if not isinstance(got, tuple | list) or len(got) != len(expected):
            return f"expected a sequence of {len(expected)} outputs, got {type(got).__name__}"
        for k, (e, g) in enumerate(zip(expected, got, strict=True)):
            why = _mismatch(e, g, rtol, atol)
            if why:
                return f"output {k}: {why}"
        return None
    e, g = _as_array(expected), _as_array(got)
    if e.shape != g.shape:
        return f"shape {g.shape} instead of {e.shape}"
    if e.dtype.kind in "biuf" and g.dtype.kind in "biuf":
        if not np.all(np.isfinite(g) | ~np.isfinite(e)):
            return "non-finite values where the reference is finite"
        if not np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True):
            worst = float(np.max(np.abs(g.astype(float) - e.astype(float))))
            return f"values differ (largest absolute difference {worst:.3g})"
        return None
    return None if np.array_equal(e, g) else "values differ"


def check_function(
    candidate: Callable[..., Any],
    reference: Callable[..., Any],
    make_inputs: Callable[[np.random.Generator], tuple],
    n: int = 20,
    seed: int = 0,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    name: str | None = None,
) -> None:
    """Check ``candidate`` against ``reference`` on ``n`` random inputs.

    ``make_inputs(rng)`` returns the positional arguments of one call. Prints a ✓ line
    when all calls agree; otherwise prints the input, the expected and the returned value
    of the first mismatch and raises ``AssertionError``.
    """
    label = name or getattr(candidate, "__name__", "your function")
    rng = np.random.default_rng(seed)
    for trial in range(n):
        args = make_inputs(rng)
        expected = reference(*args)
        got = candidate(*args)
        why = _mismatch(expected, got, rtol, atol)
        if why:
            lines = [f"✗ {label} is not right yet (random input {trial + 1} of {n}): {why}"]
            lines += [f"  input {k}: {_short(a)}" for k, a in enumerate(args)]
            lines += [f"  expected: {_short(expected)}", f"  got:      {_short(got)}"]
            print("\n".join(lines))
            raise AssertionError(lines[0])  # the details are printed just above
    print(f"✓ {label} matches the reference on {n} random inputs")
