"""Staff sessions end after inactivity; sensitive account changes ask for the password again."""

import time
from http import HTTPStatus

import pytest

from accounts.middleware import StaffIdleTimeoutMiddleware
from tests.content.helpers import make_group_member

pytestmark = pytest.mark.django_db

KEY = StaffIdleTimeoutMiddleware.SESSION_KEY


def idle_for(client, seconds):
    session = client.session
    session[KEY] = int(time.time()) - seconds
    session.save()


@pytest.fixture
def editor(db):
    return make_group_member("Editors", "editor@example.org")


def test_staff_idle_past_the_limit_are_signed_out_and_asked_to_sign_in(client, editor, settings):
    settings.STAFF_IDLE_SECONDS = 1800
    client.force_login(editor)
    assert client.get("/admin/").status_code == HTTPStatus.OK
    idle_for(client, 1801)

    response = client.get("/admin/pages/")

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/account/login/?next=/admin/pages/")
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"])
    assert "signed out after 30 minutes without activity" in page.text


def test_staff_active_within_the_limit_stay_signed_in(client, editor, settings):
    settings.STAFF_IDLE_SECONDS = 1800
    client.force_login(editor)
    client.get("/admin/")
    idle_for(client, 1700)

    assert client.get("/admin/").status_code == HTTPStatus.OK
    assert time.time() - client.session[KEY] < 60  # the request counted as activity


def test_learners_keep_the_ordinary_session(client, learner, settings):
    settings.STAFF_IDLE_SECONDS = 1800
    client.force_login(learner)
    client.get("/my-learning/")
    idle_for(client, 7200)

    assert client.get("/my-learning/").status_code == HTTPStatus.OK


def test_changing_email_asks_for_the_password_again(client, learner):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=learner, email=learner.email, verified=True, primary=True)
    client.force_login(learner)  # signed in, but the password not entered again for this change

    response = client.post("/account/email/", {"action_add": "", "email": "new.address@example.org"})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/account/reauthenticate/")
    assert not EmailAddress.objects.filter(email="new.address@example.org").exists()


def test_after_entering_the_password_again_the_email_change_goes_through(client, learner, password):
    from allauth.account.models import EmailAddress

    from tests.accounts.helpers import reauthenticate

    EmailAddress.objects.create(user=learner, email=learner.email, verified=True, primary=True)
    client.force_login(learner)
    reauthenticate(client, password)

    client.post("/account/email/", {"action_add": "", "email": "new.address@example.org"})

    assert EmailAddress.objects.filter(user=learner, email="new.address@example.org", verified=False).exists()
