"""Browser tests: Playwright's sync API drives Debian's Chromium against pytest-django's live_server.

Three things here are less obvious than they look:

- Playwright's sync API keeps an asyncio loop running on the main thread while it is started. Django then refuses ORM
  calls from test code (seeding, the flush between tests) unless DJANGO_ALLOW_ASYNC_UNSAFE is set, and asgiref hands out
  a second set of database connections, which lack the migration data that serialized rollback restores. So the loop
  lives only as long as the browser tests: Chromium starts for the first and stops after the last, the variable is set
  for that span only, and the connections made before the loop are kept.
- live_server makes each test transactional, and the flush after it also empties what migrations created (Wagtail's root
  page and default site, the editorial groups). Serialized rollback puts those rows back before each browser test, and
  they are put back once more after the last one so that the tests which follow find the database as migrations left it.
- Where /usr/bin/chromium is missing the browser tests are skipped with one line, except under CI=true, where that is a
  broken build.
"""

import io
import os
from pathlib import Path
from types import SimpleNamespace

from django.core.cache import cache
from django.core.management import call_command
from django.db import connections

import pytest

# Playwright must never download a browser of its own: CI installs Debian's chromium and we launch that one.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SKIP_REASON = f"Chromium not installed at {CHROMIUM}: browser tests skipped"
skipped_key = pytest.StashKey[int]()
db_blocker_key = pytest.StashKey[object]()


def chromium_installed():
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


def running_in_ci():
    return os.environ.get("CI", "").strip().lower() in {"true", "1"}


def is_browser_test(item):
    return item is not None and item.get_closest_marker("browser") is not None


def pytest_collection_modifyitems(config, items):
    """Outside CI a machine without Chromium skips the browser tests; in CI that is a broken build, not a skip."""
    browser_items = [item for item in items if is_browser_test(item)]
    if not browser_items or chromium_installed():
        return
    if running_in_ci():
        pytest.exit(
            f"Chromium not installed at {CHROMIUM}, but CI=true: the browser tests must run in CI.",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in browser_items:
        item.add_marker(skip)
    config.stash[skipped_key] = len(browser_items)


def pytest_terminal_summary(terminalreporter, config):
    """One line for the whole skip, rather than one per test."""
    skipped = config.stash.get(skipped_key, 0)
    if skipped:
        terminalreporter.write_line(f"{SKIP_REASON} ({skipped} tests).", yellow=True, bold=True)


class Chromium:
    """Playwright with one headless Chromium, started on first use and stopped when the browser tests are done."""

    def __init__(self):
        self.playwright = None
        self.browser = None
        self.connections = {}
        self.async_unsafe = None

    def start(self):
        if self.browser is not None:
            return self.browser
        from playwright.sync_api import sync_playwright

        self.connections = {alias: connections[alias] for alias in connections}
        self.async_unsafe = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        self.playwright = sync_playwright().start()
        # Under the running loop asgiref looks connections up in a different store: put the existing ones there.
        for alias, connection in self.connections.items():
            connections[alias] = connection
        self.browser = self.playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        return self.browser

    def stop(self):
        if self.playwright is None:
            return
        try:
            if self.browser is not None:
                self.browser.close()
        finally:
            self.playwright.stop()
            self.playwright = self.browser = None
            self.connections = {}
            if self.async_unsafe is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = self.async_unsafe


chromium = Chromium()


def restore_migrated_rows(db_blocker):
    """Put back the rows migrations made, from the copy pytest-django serialized when it created the test database."""
    with db_blocker.unblock():
        for alias in connections:
            connection = connections[alias]
            contents = getattr(connection, "_test_serialized_contents", None)
            if contents:
                connection.creation.deserialize_db_from_string(contents)
    cache.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield
    if not is_browser_test(nextitem):
        chromium.stop()
        db_blocker = item.config.stash.get(db_blocker_key, None)
        # With no next test the session is over and the test database is already gone.
        if nextitem is not None and db_blocker is not None:
            restore_migrated_rows(db_blocker)
    return result


def pytest_sessionfinish(session):
    chromium.stop()


@pytest.fixture
def browser(request, django_db_blocker):
    """The session's one Chromium (started by the first browser test, stopped after the last)."""
    request.config.stash[db_blocker_key] = django_db_blocker
    return chromium.start()


@pytest.fixture
def demo_site(live_server, django_db_serialized_rollback, browser):
    """The demo content behind the live server (seeded afresh for each test, which starts from an empty site)."""
    cache.clear()
    call_command("seed_demo", stdout=io.StringIO())
    return live_server.url


@pytest.fixture
def page(browser, demo_site):
    """A fresh browser context (no cookies) per test, its relative URLs resolved against the live server."""
    context = browser.new_context(base_url=demo_site, locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def staff_mfa_required(settings, monkeypatch):
    """Staff need an authenticator code (tests/browser/accounts.py makes it), read from a frozen TOTP clock."""
    from allauth.mfa.totp.internal import auth as totp_auth

    from tests.browser.accounts import FROZEN_NOW

    settings.STAFF_MFA_REQUIRED = True
    monkeypatch.setattr(totp_auth, "time", SimpleNamespace(time=lambda: FROZEN_NOW))
