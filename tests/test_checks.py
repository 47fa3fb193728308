import numpy as np
import pytest
import torch

from simbelief_edu.belief.elbo import gaussian_kl
from simbelief_edu.checks import check_function


def _gaussians(rng):
    return tuple(torch.tensor(rng.normal(size=(2, 4))) for _ in range(4))


def test_check_passes_for_the_reference_itself(capsys):
    check_function(gaussian_kl, gaussian_kl, _gaussians, name="kl")
    assert "✓ kl matches the reference on 20 random inputs" in capsys.readouterr().out


def test_check_reports_input_expected_and_got(capsys):
    def wrong(*args):
        return gaussian_kl(*args) + 0.5

    with pytest.raises(AssertionError, match="values differ"):
        check_function(wrong, gaussian_kl, _gaussians, name="kl")
    out = capsys.readouterr().out
    assert "✗ kl is not right yet (random input 1 of 20)" in out
    assert "input 0:" in out and "expected:" in out and "got:" in out


def test_check_reports_wrong_shape():
    with pytest.raises(AssertionError, match=r"shape \(2, 4\) instead of \(2,\)"):
        check_function(lambda *a: a[0], gaussian_kl, _gaussians)


def test_check_compares_tuples_elementwise():
    def ref(x):
        return x, 2 * x

    def bad(x):
        return x, 3 * x

    with pytest.raises(AssertionError, match="output 1"):
        check_function(bad, ref, lambda rng: (rng.normal(size=3),))


def test_gaussian_kl_zero_for_equal_and_matches_torch():
    mu, logvar = torch.randn(5, 3), torch.randn(5, 3)
    assert torch.allclose(gaussian_kl(mu, logvar, mu, logvar), torch.zeros(5), atol=1e-6)
    mu2, logvar2 = torch.randn(5, 3), torch.randn(5, 3)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(mu2, (0.5 * logvar2).exp())
    expected = torch.distributions.kl_divergence(q, p).sum(-1)
    assert torch.allclose(gaussian_kl(mu, logvar, mu2, logvar2), expected, atol=1e-5)
    assert np.all(gaussian_kl(mu, logvar, mu2, logvar2).numpy() >= 0)
