"""Optimal transport on a finite set: the Kantorovich (Wasserstein-1) distance and its couplings.

For probability vectors ``p, q`` on a finite set X and a ground cost ``d`` (a pseudometric),

    W1_d(p, q) = min_{π ∈ Γ(p, q)} Σ_{x, y} π(x, y) d(x, y),

where Γ(p, q) is the set of couplings: nonnegative ``π`` with row sums ``p`` and column sums
``q``. This is a small linear program; we solve it with HiGHS (``scipy.optimize.linprog``).
:func:`wasserstein1` is the readable one-pair version; :func:`optimal_couplings` solves the
``|A|·S(S−1)/2`` problems that one application of the bisimulation operator needs as a single
block-diagonal LP.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import linprog


def wasserstein1(p: np.ndarray, q: np.ndarray, d: np.ndarray) -> float:
    """Exact ``W1_d(p, q)``: the cheapest way to move mass ``p`` onto ``q`` at cost ``d``.

    Args:
        p, q: probability vectors of length n.
        d: ground cost ``[n, n]`` (nonnegative; a pseudometric for W1 to be one).
    """
    n = len(p)
    A_rows = np.kron(np.eye(n), np.ones((1, n)))  # Σ_y π(x, y) = p(x)
    A_cols = np.kron(np.ones((1, n)), np.eye(n))  # Σ_x π(x, y) = q(y)
    res = linprog(
        np.asarray(d, dtype=float).ravel(),
        A_eq=np.vstack([A_rows, A_cols]),
        b_eq=np.concatenate([p, q]),
        bounds=(0, None),
        method="highs-ds",
    )
    if res.status != 0:
        raise RuntimeError(f"transport LP failed: {res.message}")
    return float(res.fun)


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    """``TV(p, q) = ½ Σ_x |p(x) − q(x)|`` (equal to W1 under the 0/1 metric)."""
    return 0.5 * float(np.abs(np.asarray(p) - np.asarray(q)).sum())


def optimal_couplings(P: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, sparse.csr_matrix]:
    """All Kantorovich problems between next-state distributions, solved as one LP.

    For every action ``a`` and states ``x < y``, solve ``W1_d(P(·|x,a), P(·|y,a))`` over the
    supports of the two distributions (a problem whose one side is a point mass has a single
    coupling and needs no LP). ``(y, x)`` uses the transposed coupling and ``(x, x)`` the
    diagonal one, so the result is consistent with a symmetric ``d`` with zero diagonal.

    Args:
        P: transition tensor ``[N, A, N]``.
        d: ground cost ``[N, N]``.

    Returns:
        ``W [N, N, A]`` with ``W[x, y, a] = W1_d(P(·|x,a), P(·|y,a))``, and the couplings as a
        sparse pair-transition matrix ``M [A·N², N²]``: row ``a·N² + x·N + y`` is the optimal
        coupling of ``(x, y, a)`` as a distribution over next pairs ``x'·N + y'``.
    """
    N, A, _ = P.shape
    if N == 1:
        return np.zeros((1, 1, A)), sparse.csr_matrix(np.ones((A, 1)))
    supports = [[np.flatnonzero(P[x, a] > 0) for a in range(A)] for x in range(N)]
    # One entry per transport variable: which block, which (x', y'), and its cost.
    blk, vx, vy, fixed = [], [], [], []
    lp_cols, lp_rows, b_eq = [], [], []
    blocks = [(x, y, a) for a in range(A) for x in range(N) for y in range(x + 1, N)]
    n_lp_vars = 0
    for b, (x, y, a) in enumerate(blocks):
        sp, sq = supports[x][a], supports[y][a]
        gx, gy = np.meshgrid(sp, sq, indexing="ij")
        blk.append(np.full(gx.size, b))
        vx.append(gx.ravel())
        vy.append(gy.ravel())
        if len(sp) == 1 or len(sq) == 1:  # the product coupling is the only coupling
            fixed.append(np.outer(P[x, a, sp], P[y, a, sq]).ravel())
            continue
        fixed.append(np.full(gx.size, np.nan))
        m, n = len(sp), len(sq)
        var = n_lp_vars + np.arange(m * n).reshape(m, n)
        row0 = len(b_eq)
        lp_cols += [var.ravel(), var.T.ravel()]
        lp_rows += [row0 + np.repeat(np.arange(m), n), row0 + m + np.repeat(np.arange(n), m)]
        b_eq += list(P[x, a, sp]) + list(P[y, a, sq])
        n_lp_vars += m * n
    blk, vx, vy, value = map(np.concatenate, (blk, vx, vy, fixed))
    cost = d[vx, vy]
    free = np.isnan(value)
    if free.any():
        cols = np.concatenate(lp_cols)
        rows = np.concatenate(lp_rows)
        A_eq = sparse.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(b_eq), n_lp_vars))
        res = linprog(cost[free], A_eq=A_eq, b_eq=np.array(b_eq), bounds=(0, None), method="highs")
        if res.status != 0:
            raise RuntimeError(f"transport LP failed: {res.message}")
        value[free] = np.clip(res.x, 0.0, None)
    xya = np.array(blocks)
    bx, by, ba = xya[blk, 0], xya[blk, 1], xya[blk, 2]
    w = np.bincount(blk, weights=value * cost, minlength=len(xya))
    W = np.zeros((N, N, A))
    W[xya[:, 0], xya[:, 1], xya[:, 2]] = w
    W[xya[:, 1], xya[:, 0], xya[:, 2]] = w
    # Pair-transition rows: (x, y), its mirror (y, x), and the diagonal pairs (x, x).
    diag_x, diag_a, diag_next = np.nonzero(P)
    first = ba * N * N
    rows = np.concatenate(
        [first + bx * N + by, first + by * N + bx, diag_a * N * N + diag_x * (N + 1)]
    )
    cols = np.concatenate([vx * N + vy, vy * N + vx, diag_next * (N + 1)])
    vals = np.concatenate([value, value, P[diag_x, diag_a, diag_next]])
    M = sparse.csr_matrix((vals, (rows, cols)), shape=(A * N * N, N * N))
    return W, M
