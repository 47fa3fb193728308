"""Auto-checks for exercises: compare a learner's function with the reference on random inputs.

Each check calls both functions on the same seeded random inputs and, at the first
mismatch, prints which input was used, what was expected and what came back.

Every check also registers itself, so that the "Check your work" cell at the end of an
exercise notebook, :func:`check_your_work`, can rerun them all quietly and list which pass.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import sys
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
    mistakes: dict[str, Callable[..., Any]] | None = None,
    diagnose: Callable[[Callable[..., Any]], str | None] | None = None,
    no_gradient_into: tuple[int, ...] = (),
) -> None:
    """Check ``candidate`` against ``reference`` on ``n`` random inputs.

    ``make_inputs(rng)`` returns the positional arguments of one call. Prints a ✓ line
    when all calls agree; otherwise prints the input, the expected and the returned value
    of the first mismatch and raises ``AssertionError``.

    Saying *what* is off, for typical mistakes:

    - ``mistakes`` maps a message to a typical wrong implementation; when the candidate's
      output on the failing input equals that implementation's, the message is shown;
    - ``diagnose(candidate)`` may probe the candidate on inputs of its own and return a
      message (or None) when no mistake matched;
    - ``no_gradient_into``: positions of tensor inputs that must receive no gradient (a
      stop-gradient in the equation), while the other tensor inputs must receive one;
      checked once the values agree.
    """
    label = name or getattr(candidate, "__name__", "your function")
    options = {"mistakes": mistakes, "diagnose": diagnose, "no_gradient_into": no_gradient_into}
    _REGISTERED[label] = (candidate, reference, make_inputs, n, seed, rtol, atol, options)
    rng = np.random.default_rng(seed)
    for trial in range(n):
        args = make_inputs(rng)
        expected = reference(*args)
        got = candidate(*args)
        why = _mismatch(expected, got, rtol, atol)
        if why:
            hint = _what_is_off(candidate, args, got, mistakes, diagnose, rtol, atol)
            lines = [f"✗ {label} is not right yet (random input {trial + 1} of {n}): {why}"]
            lines += [f"  what is off: {hint}"] if hint else []
            lines += [f"  input {k}: {_short(a)}" for k, a in enumerate(args)]
            lines += [f"  expected: {_short(expected)}", f"  got:      {_short(got)}"]
            print("\n".join(lines))
            headline = lines[0] + (f" — what is off: {hint}" if hint else "")
            raise AssertionError(headline)  # the details are printed just above
    if no_gradient_into:
        problem = _gradient_leak(
            candidate, make_inputs(np.random.default_rng(seed)), no_gradient_into
        )
        if problem:
            print(f"✗ {label} gives the right values, but {problem}")
            raise AssertionError(f"✗ {label} gives the right values, but {problem}")
    print(f"✓ {label} matches the reference on {n} random inputs")
    if no_gradient_into:
        print(f"✓ {label} lets no gradient into the inputs held fixed, and one into the others")


def _what_is_off(candidate, args, got, mistakes, diagnose, rtol, atol) -> str | None:
    """The message of the first typical mistake that explains ``got``, if any."""
    for message, wrong in (mistakes or {}).items():
        try:
            if _mismatch(wrong(*args), got, rtol, atol) is None:
                return message
        except Exception:  # a mistake that does not apply to this input
            continue
    if diagnose is not None:
        try:
            return diagnose(candidate)
        except Exception:
            return None
    return None


def _gradient_leak(candidate, args: tuple, fixed: tuple[int, ...]) -> str | None:
    """What is wrong with the gradients of ``candidate`` (None when nothing is).

    A stop-gradient holds the inputs in ``fixed`` constant: no gradient may reach them, and
    a gradient must still reach the other tensor inputs, which the loss trains.
    """
    args = tuple(
        a.detach().clone().requires_grad_(True)
        if isinstance(a, torch.Tensor) and a.is_floating_point()
        else a
        for a in args
    )
    out = candidate(*args)
    outputs = out if isinstance(out, tuple | list) else (out,)
    total = sum(o.sum() for o in outputs if isinstance(o, torch.Tensor) and o.requires_grad)
    if not isinstance(total, torch.Tensor):
        return (
            "no gradient comes out of it at all (a .detach() on the result, torch.no_grad(), "
            ".item() or NumPy?): detach only the inputs the equation holds fixed, so the loss "
            "can still train the others"
        )
    total.backward()
    try:
        names = list(inspect.signature(candidate).parameters)
    except (TypeError, ValueError):
        names = []

    def name(k: int) -> str:
        return f"`{names[k]}` (input {k})" if k < len(names) else f"input {k}"

    def reached(k: int) -> bool:
        grad = getattr(args[k], "grad", None)
        return grad is not None and bool(grad.abs().sum() > 0)

    for k in fixed:
        if reached(k):
            return (
                f"a gradient reaches {name(k)}, which the equation holds fixed (its sg[·]): "
                "use .detach() on it"
            )
    trained = [
        k
        for k, a in enumerate(args)
        if isinstance(a, torch.Tensor) and a.requires_grad and k not in fixed
    ]
    if trained and not any(reached(k) for k in trained):
        return (
            f"no gradient reaches {', '.join(name(k) for k in trained)}, which the loss trains: "
            "detach only the inputs the equation holds fixed"
        )
    return None


# name -> the arguments of its last check_function call
_REGISTERED: dict[str, tuple] = {}


def _latest(candidate: Callable[..., Any]) -> Callable[..., Any]:
    """The learner's current definition of ``candidate`` (a cell may have been rerun since)."""
    name = getattr(candidate, "__name__", None)
    namespace = getattr(sys.modules.get("__main__"), "__dict__", {})
    latest = namespace.get(name) if name else None
    return latest if callable(latest) else candidate


def check_your_work(expected: list[str]) -> dict[str, bool | None]:
    """Rerun the notebook's checks quietly and print one line per check.

    ``expected`` names the checks of the notebook, in order. A check whose cell has not run
    yet is listed as such. Returns ``{name: True (passes) | False (fails) | None (not run)}``.
    """
    results: dict[str, bool | None] = {}
    lines = []
    for name in expected:
        if name not in _REGISTERED:
            results[name] = None
            lines.append(f"· {name}: not checked yet (run the cell that checks it)")
            continue
        candidate, *rest, options = _REGISTERED[name]
        quiet = io.StringIO()
        try:
            with contextlib.redirect_stdout(quiet):
                check_function(_latest(candidate), *rest, name=name, **options)
        except NotImplementedError:
            results[name] = False
            lines.append(f"✗ {name}: not written yet (it still raises NotImplementedError)")
        except Exception as error:  # the check's own message says what is wrong
            results[name] = False
            why = str(error).splitlines()[0] if str(error) else type(error).__name__
            lines.append(f"✗ {name}: {why}")
        else:
            results[name] = True
            lines.append(f"✓ {name}")
    passed = sum(v is True for v in results.values())
    print(f"{passed} of {len(expected)} checks pass")
    print("\n".join(lines))
    return results
