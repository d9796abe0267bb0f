from http import HTTPStatus

from django.core import mail
from django.urls import reverse

import pytest
from allauth.account.models import EmailAddress

from accounts.models import Profile, User
from tests.accounts.helpers import last_email_to, link_in, signed_in_user_id

SIGNUP_URL = "/account/signup/"
LOGIN_URL = "/account/login/"
NEW_PASSWORD = "a-long-and-unusual-passphrase"


def signup_data(**overrides):
    return {
        "full_name": "Jordan Rivers",
        "email": "jordan.rivers@example.org",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **overrides,
    }


@pytest.fixture
def signed_up(client, db):
    """Someone who has just filled in the sign-up form, and the response they got."""
    return client.post(SIGNUP_URL, signup_data())


def test_signup_form_asks_for_full_name_email_and_password_but_no_username(client, db):
    response = client.get(SIGNUP_URL)

    assert response.status_code == HTTPStatus.OK
    form = response.context["form"]
    assert list(form.fields) == ["full_name", "email", "password1", "password2"]
    content = response.content.decode()
    assert 'name="full_name"' in content
    assert 'name="username"' not in content


def test_signup_creates_unverified_user_with_profile_and_sends_confirmation(signed_up):
    assert signed_up.status_code == HTTPStatus.FOUND
    assert signed_up.url == reverse("account_email_verification_sent")

    user = User.objects.get(email="jordan.rivers@example.org")
    assert user.full_name == "Jordan Rivers"
    assert user.check_password(NEW_PASSWORD)
    assert Profile.objects.filter(user=user).exists()
    assert not EmailAddress.objects.get(user=user, email=user.email).verified

    message = last_email_to("jordan.rivers@example.org")
    assert link_in(message, "/account/confirm-email/")


def test_sign_in_before_verifying_does_not_sign_in(client, signed_up):
    client.logout()
    mail.outbox.clear()

    response = client.post(LOGIN_URL, {"login": "jordan.rivers@example.org", "password": NEW_PASSWORD})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_email_verification_sent")
    assert signed_in_user_id(client) is None
    assert client.get(response.url).status_code == HTTPStatus.OK


def test_following_the_link_verifies_the_address_and_allows_sign_in(client, signed_up):
    confirm_path = link_in(last_email_to("jordan.rivers@example.org"), "/account/confirm-email/")

    page = client.get(confirm_path)
    assert page.status_code == HTTPStatus.OK
    assert "jordan.rivers@example.org" in page.content.decode()
    # ACCOUNT_CONFIRM_EMAIL_ON_GET is off: opening the link alone confirms nothing.
    assert not EmailAddress.objects.get(email="jordan.rivers@example.org").verified

    confirmed = client.post(confirm_path)
    assert confirmed.status_code == HTTPStatus.FOUND
    assert EmailAddress.objects.get(email="jordan.rivers@example.org").verified
    # ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION is off: confirming does not sign the person in by itself.
    assert signed_in_user_id(client) is None

    signed_in = client.post(LOGIN_URL, {"login": "jordan.rivers@example.org", "password": NEW_PASSWORD})
    assert signed_in.status_code == HTTPStatus.FOUND
    assert signed_in.url == "/"
    assert signed_in_user_id(client) == User.objects.get(email="jordan.rivers@example.org").pk


@pytest.mark.parametrize(
    ("overrides", "field", "error"),
    [
        pytest.param({"password2": "a-different-passphrase"}, "password2", "same password", id="passwords-differ"),
        pytest.param({"full_name": ""}, "full_name", "This field is required.", id="no-full-name"),
        pytest.param({"full_name": "   "}, "full_name", "This field is required.", id="blank-full-name"),
        pytest.param({"email": "not-an-email"}, "email", "valid email", id="bad-email"),
        pytest.param({"password1": "short", "password2": "short"}, "password1", "too short", id="short-password"),
    ],
)
def test_bad_signup_shows_the_form_again_and_creates_nothing(client, db, overrides, field, error):
    response = client.post(SIGNUP_URL, signup_data(**overrides))

    assert response.status_code == HTTPStatus.OK
    errors = response.context["form"].errors[field]
    assert any(error in message for message in errors), errors
    assert error in response.content.decode()
    assert not User.objects.exists()
    assert not EmailAddress.objects.exists()
    assert mail.outbox == []


def test_signup_with_an_address_already_in_use_creates_nothing_and_tells_the_owner(client, verified_learner):
    # allauth prevents account enumeration (ACCOUNT_PREVENT_ENUMERATION, on by default): the stranger sees the
    # usual "check your email" page, and the address's owner gets an email saying someone tried to sign up.
    response = client.post(SIGNUP_URL, signup_data(email="Learner@Example.org", full_name="Someone Else"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_email_verification_sent")
    assert signed_in_user_id(client) is None
    assert User.objects.count() == 1
    assert User.objects.get().full_name == "Alex Learner"
    assert EmailAddress.objects.count() == 1
    message = last_email_to("learner@example.org")
    assert "already exists" in message.body
    assert link_in(message, "/account/password/reset/")
