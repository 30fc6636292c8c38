"""Shared test settings: JIT-friendly hypothesis profile, importable models/lenet and test
helpers, a seed."""
import os
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models", "lenet"))
# The tests live in folders mirroring the package (tests/nn, tests/train, ...); the helpers they
# share (gradcheck, reference, _idx, ...) stay here.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# numba compiles on first call, so the first example of a property test can take seconds.
settings.register_profile("ci", deadline=None, max_examples=25,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")

SHARED = os.path.join(os.path.dirname(ROOT), "shared", "datasets")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _seed():
    import minispore
    minispore.set_seed(0)
