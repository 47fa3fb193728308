"""Exact theory on finite MDPs (book chapter 5).

Modules: :mod:`~simbelief_edu.theory.mdps` (finite MDPs, task families, values),
:mod:`~simbelief_edu.theory.transport` (Kantorovich distance and couplings),
:mod:`~simbelief_edu.theory.bisim` (bisimulation metric, state-task metric),
:mod:`~simbelief_edu.theory.bounds` (one function per value bound, and ``check_bound``),
:mod:`~simbelief_edu.theory.sampling` (seeded random instances for the checks).
"""
