from django.core.cache import cache

import pytest


@pytest.fixture(params=[0, 300], ids=["fragments off", "fragments on"])
def fragments(request, settings):
    """A test that asks for it runs both ways: Wagtail's own lookups and counts (fragments off), and from the shared
    cache (page_cache.shared_fragment), from an empty one."""
    settings.FRAGMENT_CACHE_SECONDS = request.param
    cache.clear()
    yield request.param
    cache.clear()
