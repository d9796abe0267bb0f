import pytest

from tests.courses.fakes import use_fake_payments


@pytest.fixture
def payments(settings):
    """The fake payment provider (tests/courses/fakes.py) in place of Stripe, with card payments offered."""
    return use_fake_payments(settings)
