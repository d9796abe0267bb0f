"""Each person's permissions kept between requests (accounts/backends.py): read once, and never trusted after a change.

Whoever loses a permission loses it at their next request; these are the admin's keys, so every way a permission
can go is tried here."""

from http import HTTPStatus

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail.users.models import UserProfile

import pytest
from allauth.account.models import EmailAddress

from accounts.factories import UserFactory
from tests.content.helpers import make_group_member, with_authenticator

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("admin_chrome_on")]

ADMIN = "/admin/"
REPORT = "/admin/courses/report/"  # course administrators only: courses.change_cohort


@pytest.fixture
def administrator(db):
    user = make_group_member("Course administrators", "admin@example.org")
    Group.objects.get(name="Course administrators").permissions.add(Permission.objects.get(codename="change_cohort"))
    return user


def can_open(client, path) -> bool:
    response = client.get(path)
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND, HTTPStatus.FORBIDDEN), response.status_code
    return response.status_code == HTTPStatus.OK


def permission_reads(client, path) -> int:
    """The queries in which Django's ModelBackend reads a person's permissions."""
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return sum('AS "content_type__app_label"' in query["sql"] for query in captured)


def test_permissions_are_read_once_and_then_kept(client, administrator):
    client.force_login(administrator)
    assert permission_reads(client, REPORT) == 2  # the person's own and their groups'
    assert permission_reads(client, REPORT) == 0
    assert permission_reads(client, ADMIN) == 0


def test_nothing_is_kept_when_the_setting_is_zero(client, administrator, settings):
    settings.ADMIN_CHROME_SECONDS = 0
    client.force_login(administrator)
    client.get(REPORT)
    assert permission_reads(client, REPORT) == 2


def test_leaving_the_group_takes_its_permissions_at_once(client, administrator):
    client.force_login(administrator)
    assert can_open(client, REPORT)

    administrator.groups.remove(Group.objects.get(name="Course administrators"))
    assert not can_open(client, REPORT)
    assert not can_open(client, ADMIN)  # the group gave access to the admin itself


def test_a_permission_taken_from_the_group_goes_at_once(client, administrator):
    client.force_login(administrator)
    assert can_open(client, REPORT)

    Group.objects.get(name="Course administrators").permissions.remove(Permission.objects.get(codename="change_cohort"))
    assert not can_open(client, REPORT)
    assert can_open(client, ADMIN)


def test_a_deleted_group_takes_its_permissions_at_once(client):
    group = Group.objects.create(name="Temporary administrators")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"), Permission.objects.get(codename="change_cohort")
    )
    user = with_authenticator(UserFactory(email="temp@example.org"))
    user.groups.add(group)
    client.force_login(user)
    assert can_open(client, REPORT)

    group.delete()  # its memberships go by cascade, which sends no m2m signal
    assert not can_open(client, ADMIN)


def test_a_persons_own_permission_and_superuser_status_count_at_once(client):
    user = with_authenticator(UserFactory(email="person@example.org"))
    client.force_login(user)
    assert not can_open(client, ADMIN)

    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    assert can_open(client, ADMIN)
    assert not can_open(client, REPORT)

    user.is_superuser = True
    user.save()
    assert can_open(client, REPORT)

    user.is_superuser = False
    user.save()
    user.user_permissions.clear()
    assert not can_open(client, ADMIN)


def test_a_deactivated_account_has_no_permissions(client, administrator):
    client.force_login(administrator)
    assert can_open(client, REPORT)
    assert administrator.has_perm("courses.change_cohort")

    administrator.is_active = False
    administrator.save()
    fresh = type(administrator).objects.get(pk=administrator.pk)
    assert not fresh.has_perm("courses.change_cohort")
    assert not can_open(client, REPORT)


# --- The signed-in person, read with Wagtail's admin profile --------------------------------------------------------


def profile_reads(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == HTTPStatus.OK
    return sum('FROM "wagtailusers_userprofile"' in query["sql"] for query in captured)


def test_a_password_sign_in_is_answered_by_the_backend_that_reads_the_profile_with_the_person(client, password):
    user = UserFactory(email="ada.lovelace@nhs.net", password=password)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.post("/account/login/", {"login": user.email, "password": password})
    assert client.session[BACKEND_SESSION_KEY] == "accounts.backends.CachedPermissionsBackend"


def test_admin_pages_read_the_person_and_their_admin_profile_in_one_query(client, administrator):
    client.force_login(administrator)
    assert profile_reads(client, ADMIN) == 0  # no profile saved: the join found none
    profile = UserProfile.get_for_user(administrator)
    profile.preferred_language = "en-gb"
    profile.save()
    assert profile_reads(client, ADMIN) == 0  # the join finds it
    assert client.get(ADMIN).wsgi_request.user.wagtail_userprofile.preferred_language == "en-gb"
