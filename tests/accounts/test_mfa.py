from http import HTTPStatus
from types import SimpleNamespace
from urllib.parse import quote

from django.contrib.auth.models import Group
from django.urls import reverse

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal import auth as totp_auth

from accounts.factories import UserFactory
from tests.accounts.helpers import signed_in_user_id
from tests.conftest import verified

LOGIN_URL = "/account/login/"
ACTIVATE_URL = "/account/2fa/totp/activate/"
MFA_AUTHENTICATE_URL = "/account/2fa/authenticate/"
# A fixed instant for allauth's TOTP clock, so a code never expires between making it and typing it in.
FROZEN_NOW = 1_800_000_000


@pytest.fixture(autouse=True)
def frozen_totp_clock(monkeypatch):
    monkeypatch.setattr(totp_auth, "time", SimpleNamespace(time=lambda: FROZEN_NOW))


def totp_code(secret):
    """The code an authenticator app would show for this secret now."""
    return totp_auth.format_hotp_value(totp_auth.hotp_value(secret, FROZEN_NOW // mfa_settings.TOTP_PERIOD))


def activate_totp(user):
    """Give the user an authenticator app, as allauth does when the set-up form is completed; returns its secret."""
    secret = totp_auth.generate_totp_secret()
    totp_auth.TOTP.activate(user, secret)
    return secret


@pytest.fixture
def editor(db):
    user = verified(UserFactory(email="editor@example.org", full_name="Eddie Editor"))
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def superuser(db):
    return verified(UserFactory(email="admin@example.org", full_name="Ada Admin", is_staff=True, is_superuser=True))


@pytest.fixture(params=["editor", "superuser"])
def staff(request, db):
    # `db` is named here, not only reached through getfixturevalue, so pytest-django runs these tests with the other
    # database tests, before any live-server test has flushed the migrations' groups and site.
    return request.getfixturevalue(request.param)


# --- The middleware ---------------------------------------------------------------------------------------------------


def test_staff_without_authenticator_are_sent_to_set_one_up(client, staff):
    client.force_login(staff)

    response = client.get("/admin/pages/?ordering=title")

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{reverse('mfa_activate_totp')}?next={quote('/admin/pages/?ordering=title', safe='')}"


def test_staff_with_authenticator_reach_the_admin(client, staff):
    activate_totp(staff)
    client.force_login(staff)

    response = client.get("/admin/")

    assert response.status_code == HTTPStatus.OK
    assert "Dashboard" in response.content.decode()


def test_with_the_answer_kept_between_requests_removing_the_authenticator_counts_at_once(
    client, staff, admin_chrome_on
):
    client.force_login(staff)
    assert client.get("/admin/").status_code == HTTPStatus.FOUND

    activate_totp(staff)
    assert client.get("/admin/").status_code == HTTPStatus.OK
    assert client.get("/admin/").status_code == HTTPStatus.OK  # the kept answer

    Authenticator.objects.filter(user=staff).delete()
    response = client.get("/admin/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("mfa_activate_totp"))


def test_staff_without_authenticator_can_still_use_the_public_site(client, editor, home_page):
    client.force_login(editor)

    assert client.get("/").status_code == HTTPStatus.OK
    assert client.get("/account/profile/").status_code == HTTPStatus.OK


def test_learner_is_left_to_wagtail_which_refuses_the_admin(client, verified_learner):
    client.force_login(verified_learner)

    response = client.get("/admin/")

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(f"{reverse('account_login')}?next=")
    assert reverse("mfa_activate_totp") not in response.url


def test_anonymous_visitor_is_asked_to_sign_in(client, db):
    response = client.get("/admin/")

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{reverse('account_login')}?next=/admin/"


def test_requirement_can_be_switched_off(client, editor, settings):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(editor)

    response = client.get("/admin/")

    assert response.status_code == HTTPStatus.OK


# --- Setting up an authenticator app through the pages ----------------------------------------------------------------


def test_staff_member_sets_up_authenticator_app_then_opens_admin(client, editor, password):
    client.post(LOGIN_URL, {"login": editor.email, "password": password})
    to_setup = client.get("/admin/")
    assert to_setup.status_code == HTTPStatus.FOUND

    # allauth asks for the password again before anything touches two-factor settings.
    reauthenticate = client.get(to_setup.url)
    assert reauthenticate.status_code == HTTPStatus.FOUND
    assert reauthenticate.url.startswith(reverse("account_reauthenticate"))
    back_to_setup = client.post(reauthenticate.url, {"password": password})
    assert back_to_setup.status_code == HTTPStatus.FOUND
    assert back_to_setup.url == to_setup.url

    setup_page = client.get(back_to_setup.url)
    assert setup_page.status_code == HTTPStatus.OK
    secret = client.session[totp_auth.SECRET_SESSION_KEY]
    assert secret in setup_page.content.decode()
    assert 'name="code"' in setup_page.content.decode()

    wrong_code = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"
    wrong = client.post(back_to_setup.url, {"code": wrong_code})
    assert wrong.status_code == HTTPStatus.OK
    assert "Incorrect code." in wrong.content.decode()
    assert not Authenticator.objects.filter(user=editor).exists()

    activated = client.post(back_to_setup.url, {"code": totp_code(secret)})
    assert activated.status_code == HTTPStatus.FOUND
    # allauth shows the new recovery codes next, so they can be saved before going on.
    assert activated.url == reverse("mfa_view_recovery_codes")
    assert client.get(activated.url).status_code == HTTPStatus.OK
    assert Authenticator.objects.filter(user=editor, type=Authenticator.Type.TOTP).exists()

    assert client.get("/admin/").status_code == HTTPStatus.OK


# --- Signing in with an authenticator app -----------------------------------------------------------------------------


def test_staff_sign_in_asks_for_the_code_then_opens_admin(client, editor, password):
    secret = activate_totp(editor)

    response = client.post(LOGIN_URL, {"login": editor.email, "password": password})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == MFA_AUTHENTICATE_URL
    assert signed_in_user_id(client) is None

    page = client.get(MFA_AUTHENTICATE_URL)
    assert page.status_code == HTTPStatus.OK
    assert 'name="code"' in page.content.decode()

    response = client.post(MFA_AUTHENTICATE_URL, {"code": totp_code(secret)})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/"
    assert signed_in_user_id(client) == editor.pk
    assert client.get("/admin/").status_code == HTTPStatus.OK


def test_sign_in_returns_to_the_admin_page_asked_for(client, editor, password):
    secret = activate_totp(editor)

    to_login = client.get("/admin/pages/")
    client.post(to_login.url, {"login": editor.email, "password": password, "next": "/admin/pages/"})
    response = client.post(MFA_AUTHENTICATE_URL, {"code": totp_code(secret)})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/admin/pages/"


def test_wrong_code_does_not_sign_in(client, editor, password):
    activate_totp(editor)
    client.post(LOGIN_URL, {"login": editor.email, "password": password})

    response = client.post(MFA_AUTHENTICATE_URL, {"code": "not-a-code"})

    assert response.status_code == HTTPStatus.OK
    assert "Incorrect code." in response.content.decode()
    assert signed_in_user_id(client) is None
    assert client.get("/admin/").status_code == HTTPStatus.FOUND


def test_a_code_cannot_be_used_twice(client, editor, password):
    secret = activate_totp(editor)
    client.post(LOGIN_URL, {"login": editor.email, "password": password})
    client.post(MFA_AUTHENTICATE_URL, {"code": totp_code(secret)})
    client.post("/account/logout/")
    assert signed_in_user_id(client) is None

    client.post(LOGIN_URL, {"login": editor.email, "password": password})
    response = client.post(MFA_AUTHENTICATE_URL, {"code": totp_code(secret)})

    assert response.status_code == HTTPStatus.OK
    assert "Incorrect code." in response.content.decode()
    assert signed_in_user_id(client) is None
