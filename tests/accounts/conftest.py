from django.core.cache import cache

import pytest

from tests.certificates.conftest import (  # noqa: F401 (fixtures: a learner with a certificate, for test_your_data)
    cert_course,
    certificate,
    completed,
    course_lead,
    finished_cohort,
)
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
