from django.core.cache import cache

from wagtail.models import Page, Site

import pytest

from accounts.factories import TEST_PASSWORD, UserFactory
from certificates.models import CertificateTemplate
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


def kept_as_in_production(settings, name):
    """Turn on one of the caches the test settings turn off (so that no test sees another's), from an empty cache,
    and empty it again afterwards."""
    setattr(settings, name, 300)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin_chrome_on(settings):
    """What admin_chrome keeps (the admin's furniture, permissions, second factors)."""
    yield from kept_as_in_production(settings, "ADMIN_CHROME_SECONDS")


@pytest.fixture
def fragments_on(settings):
    """The shared fragments (page_cache.shared_fragment): navigation, filters, counts, places."""
    yield from kept_as_in_production(settings, "FRAGMENT_CACHE_SECONDS")


@pytest.fixture
def dashboard_cache_on(settings):
    """What a cohort's dashboard keeps between requests (courses.dashboard_cache)."""
    yield from kept_as_in_production(settings, "DASHBOARD_CACHE_SECONDS")


@pytest.fixture
def design(db):
    """The programme's default certificate design."""
    design = CertificateTemplate.objects.create(
        name="Programme certificate",
        organisation_name="National Patient Safety Investigations",
        signatory_name="Dr Helen Marsh",
        signatory_role="Director of Education",
    )
    design.save_revision()
    return design
