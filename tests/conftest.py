from django.core.cache import cache

from wagtail.models import Page, Site

import pytest

from accounts.factories import TEST_PASSWORD, UserFactory
from content.factories import HomePageFactory


def make_site_home():
    """A HomePage as the default site's root, beside (not colliding with) Wagtail's own 'home' page."""
    root = Page.get_first_root_node()
    home = HomePageFactory(parent=root)
    site = Site.objects.get(is_default_site=True)
    site.root_page = home
    site.save()
    return home


@pytest.fixture
def home_page(db):
    return make_site_home()


@pytest.fixture
def password():
    return TEST_PASSWORD


@pytest.fixture
def learner(db):
    return UserFactory(email="learner@example.org", full_name="Alex Learner")


def verified(user):
    """Mark the user's email address verified, as allauth does after the link is followed."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user


@pytest.fixture
def admin_chrome_on(settings):
    """What admin_chrome keeps (the admin's furniture, permissions, second factors) kept as in production, from an
    empty cache; the test settings turn it off so that no test sees another's."""
    settings.ADMIN_CHROME_SECONDS = 300
    cache.clear()
    yield
    cache.clear()
