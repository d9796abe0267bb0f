"""The privacy notice and cookie statement, and the promise they make: only strictly necessary cookies, each listed."""

from http import HTTPStatus

from django.urls import reverse

import pytest

from legal import essential_cookies
from tests.conftest import verified

pytestmark = pytest.mark.django_db


def test_privacy_notice_says_who_holds_what_for_how_long_and_links_each_right(client, settings):
    settings.PRIVACY_CONTACT_EMAIL = "dpo@example.org"
    page = client.get(reverse("privacy"))

    text = page.content.decode()
    assert page.status_code == HTTPStatus.OK
    assert "dpo@example.org" in text
    assert "six years" in text and "only that it was issued" in text
    for name in ("accounts:your_data", "accounts:profile", "accounts:close", "cookies"):
        assert f'href="{reverse(name)}"' in text


def test_anonymous_reading_sets_no_cookie(client, home_page):
    for path in ("/", reverse("privacy"), reverse("cookies")):
        response = client.get(path)
        assert response.status_code == HTTPStatus.OK
        assert not response.cookies, (path, list(response.cookies))


def test_every_cookie_a_visit_sets_is_in_the_statement(client, home_page, learner, password):
    """Sign in, save a form (which leaves a one-off message), sign out: nothing is set that the statement leaves out."""
    verified(learner)
    set_names = set()

    def visit(method, path, data=None):
        response = getattr(client, method)(path, data or {})
        set_names.update(response.cookies)
        return response

    visit("get", reverse("account_login"))
    visit("post", reverse("account_login"), {"login": learner.email, "password": password})
    visit("post", reverse("accounts:profile"), {"full_name": "Alex Learner", "job_role": "Nurse"})
    visit("get", reverse("accounts:profile"))
    visit("post", reverse("account_logout"))

    statement = client.get(reverse("cookies")).content.decode()
    listed = {cookie["name"] for cookie in essential_cookies()}
    assert {"sessionid", "csrftoken", "messages"} <= set_names, "the journey exercised every cookie"
    assert set_names <= listed
    for name in listed:
        assert f"<code>{name}</code>" in statement
