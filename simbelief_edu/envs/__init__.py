"""Sparse-reward task distributions (gymnasium API). Filled in by the environments work."""
