import numpy as np
import pytest
import torch

import simbelief_edu


def test_scale_reads_env_var(monkeypatch):
    monkeypatch.setenv("SIMBELIEF_SCALE", "smoke")
    assert simbelief_edu.scale() == "smoke"
    monkeypatch.setenv("SIMBELIEF_SCALE", " FULL ")
    assert simbelief_edu.scale() == "full"


def test_scale_defaults_to_full_when_unset(monkeypatch):
    monkeypatch.delenv("SIMBELIEF_SCALE", raising=False)
    assert simbelief_edu.scale() == "full"


def test_scale_rejects_unknown_values_by_name(monkeypatch):
    monkeypatch.setenv("SIMBELIEF_SCALE", "medium")
    with pytest.raises(ValueError, match="SIMBELIEF_SCALE='medium'.*smoke, full"):
        simbelief_edu.scale()


def test_seed_everything_is_reproducible():
    draws = []
    for _ in range(2):
        rng = simbelief_edu.seed_everything(3)
        draws.append((rng.normal(size=3), np.random.rand(), torch.randn(2)))
    np.testing.assert_array_equal(draws[0][0], draws[1][0])
    assert draws[0][1] == draws[1][1]
    assert torch.equal(draws[0][2], draws[1][2])


def test_seed_everything_rejects_negative_seed():
    with pytest.raises(ValueError, match="seed"):
        simbelief_edu.seed_everything(-1)
