from http import HTTPStatus

from django.contrib.auth.models import Group
from django.urls import reverse

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from accounts.factories import UserFactory
from accounts.models import User
from tests.accounts.helpers import last_email_to, link_in, signed_in_user_id
from tests.conftest import verified

USERS_URL = reverse("wagtailusers_users:index")
ADD_URL = reverse("wagtailusers_users:add")


@pytest.fixture
def admin_client(client, db):
    """A client signed in as a superuser who has set up an authenticator app, so the admin opens."""
    admin = verified(UserFactory(email="admin@example.org", full_name="Ada Admin", is_staff=True, is_superuser=True))
    TOTP.activate(admin, generate_totp_secret())
    client.force_login(admin)
    return client


@pytest.fixture
def editors():
    return Group.objects.get(name="Editors")


def test_users_list_shows_full_names_and_emails(admin_client, learner):
    response = admin_client.get(USERS_URL)

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "Alex Learner" in content
    assert "learner@example.org" in content
    assert "Ada Admin" in content


def test_add_form_asks_for_email_and_full_name_not_first_and_last_names(admin_client):
    response = admin_client.get(ADD_URL)

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert 'name="email"' in content
    assert 'name="full_name"' in content
    assert 'name="first_name"' not in content
    assert 'name="last_name"' not in content
    assert 'name="username"' not in content
    # Passwords are set by the person through allauth, never typed in by an administrator.
    assert 'name="password1"' not in content


def test_create_user_through_the_admin(admin_client, editors):
    response = admin_client.post(
        ADD_URL, {"email": "new.editor@example.org", "full_name": "Nia Newcomer", "groups": [editors.pk]}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == USERS_URL
    user = User.objects.get(email="new.editor@example.org")
    assert user.full_name == "Nia Newcomer"
    assert list(user.groups.all()) == [editors]
    assert not user.is_superuser
    assert "Nia Newcomer" in admin_client.get(USERS_URL).content.decode()


def test_create_user_needs_a_full_name(admin_client):
    response = admin_client.post(ADD_URL, {"email": "new.editor@example.org", "full_name": ""})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["full_name"]
    assert not User.objects.filter(email="new.editor@example.org").exists()


@pytest.mark.parametrize("email", ["learner@example.org", "Learner@Example.ORG"])
def test_create_user_refuses_an_email_already_in_use(admin_client, learner, email):
    response = admin_client.post(ADD_URL, {"email": email, "full_name": "Another Alex"})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["email"]
    assert User.objects.filter(email__iexact="learner@example.org").count() == 1


def test_created_email_is_stored_in_lower_case(admin_client):
    admin_client.post(ADD_URL, {"email": "New.Editor@Example.org", "full_name": "Nia Newcomer"})

    assert User.objects.get(full_name="Nia Newcomer").email == "new.editor@example.org"


def test_edit_user_through_the_admin(admin_client, learner, editors):
    edit_url = reverse("wagtailusers_users:edit", args=[learner.pk])

    page = admin_client.get(edit_url)
    assert page.status_code == HTTPStatus.OK
    content = page.content.decode()
    assert 'value="Alex Learner"' in content
    assert 'value="learner@example.org"' in content
    assert 'name="first_name"' not in content

    response = admin_client.post(
        edit_url,
        {
            "email": "alex.learner@example.org",
            "full_name": "Alex B. Learner",
            "is_active": "on",
            "groups": [editors.pk],
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == USERS_URL
    learner.refresh_from_db()
    assert learner.full_name == "Alex B. Learner"
    assert learner.email == "alex.learner@example.org"
    assert learner.is_active
    assert list(learner.groups.all()) == [editors]


def test_deactivate_user_through_the_admin(admin_client, learner):
    edit_url = reverse("wagtailusers_users:edit", args=[learner.pk])

    response = admin_client.post(edit_url, {"email": learner.email, "full_name": learner.full_name})

    assert response.status_code == HTTPStatus.FOUND
    learner.refresh_from_db()
    assert not learner.is_active


def test_changed_email_replaces_the_old_sign_in_address(admin_client, learner, password):
    verified(learner)
    edit_url = reverse("wagtailusers_users:edit", args=[learner.pk])
    admin_client.post(edit_url, {"email": "alex.new@example.org", "full_name": learner.full_name, "is_active": "on"})
    admin_client.logout()

    old = admin_client.post("/account/login/", {"login": "learner@example.org", "password": password})
    assert old.status_code == HTTPStatus.OK
    assert signed_in_user_id(admin_client) is None

    # The new address is confirmed by its owner at their next sign-in.
    new = admin_client.post("/account/login/", {"login": "alex.new@example.org", "password": password})
    assert new.status_code == HTTPStatus.FOUND
    assert new.url == reverse("account_email_verification_sent")
    assert signed_in_user_id(admin_client) is None
    admin_client.post(link_in(last_email_to("alex.new@example.org"), "/account/confirm-email/"))
    assert EmailAddress.objects.get(user=learner).email == "alex.new@example.org"
    admin_client.post("/account/login/", {"login": "alex.new@example.org", "password": password})
    assert signed_in_user_id(admin_client) == learner.pk


def test_a_learner_whose_records_must_be_kept_cannot_be_deleted(admin_client, learner):
    from courses.factories import EnrolmentFactory

    EnrolmentFactory(user=learner)

    response = admin_client.post(reverse("wagtailusers_users:delete", args=[learner.pk]), follow=True)

    assert response.status_code == HTTPStatus.OK
    assert "their enrolments, payments or certificates must be kept" in response.content.decode()
    assert User.objects.filter(pk=learner.pk).exists()


def test_a_learner_without_records_can_be_deleted(admin_client, learner):
    admin_client.post(reverse("wagtailusers_users:delete", args=[learner.pk]))
    assert not User.objects.filter(pk=learner.pk).exists()
