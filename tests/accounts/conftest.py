from django.core.cache import cache

import pytest

from tests.conftest import verified


@pytest.fixture(autouse=True)
def clear_cache():
    """allauth keeps rate limits and used TOTP codes in the cache: no test may inherit another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def verified_learner(learner):
    return verified(learner)
