"""The project shell: error pages, static files and the look every page shares."""

import os
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_unknown_url_gets_the_site_404_page(client, home_page):
    response = client.get("/no-such-page/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "Page not found" in response.text
    assert 'class="nhsuk-header' in response.text
    assert 'href="/search/"' in response.text


def test_server_error_page_needs_no_context(client):
    from django.template.loader import get_template

    html = get_template("500.html").render({})

    assert "Sorry, there is a problem with the service" in html


@pytest.mark.parametrize("url", ["/account/login/", "/account/signup/", "/account/password/reset/"])
def test_account_pages_share_the_site_look(client, home_page, url):
    response = client.get(url)

    assert response.status_code == HTTPStatus.OK
    assert 'class="nhsuk-header' in response.text
    assert 'id="maincontent"' in response.text
    assert 'class="nhsuk-skip-link"' in response.text


def test_header_navigation_comes_from_the_editors_setting(client, home_page):
    from wagtail.models import Site

    from content.factories import ReportIndexPageFactory
    from content.models import NavigationSettings

    reports = ReportIndexPageFactory(parent=home_page)
    settings = NavigationSettings.for_site(Site.objects.get(is_default_site=True))
    settings.links = [("link", {"page": reports, "label": "Investigation reports"})]
    settings.save()

    response = client.get(reports.url)

    nav = response.text.split('class="nhsuk-header__navigation-list"', 1)[1].split("</ul>", 1)[0]
    assert f'href="{reports.url}" aria-current="page"' in nav
    assert "Investigation reports" in nav


def test_production_collectstatic_succeeds(tmp_path):
    """The hashed, compressed storage must cope with the NHS.UK bundle's source-map comments."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.production",
        "DJANGO_SECRET_KEY": "collectstatic-check-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "learning.example.org",
        "DJANGO_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert "wagtailnhsukfrontend/css/nhsuk-frontend-10.4.2.min.css" in manifest
    assert "js/site.js" in manifest


def test_editors_settings_menu_edits_the_main_navigation(client, home_page):
    from tests.content.helpers import make_superuser

    client.force_login(make_superuser())

    response = client.get("/admin/settings/content/navigationsettings/", follow=True)

    assert response.status_code == HTTPStatus.OK
    assert "Main navigation" in response.text
