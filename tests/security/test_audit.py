"""The audit trail: marks and roles are logged with who did it, and administrators read, filter and export it."""

import csv
import io
from http import HTTPStatus

from django.contrib.auth.models import Group
from django.urls import reverse

from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from accounts.factories import UserFactory
from courses.factories import CohortFactory, EnrolmentFactory
from courses.models import FeeBand
from tests.assessments.test_marking_queue import MarkingTestCase
from tests.content.helpers import make_group_member, make_superuser

HISTORY = reverse("wagtailadmin_reports:site_history")


class TestMarksAreLogged(MarkingTestCase):
    def test_marking_and_releasing_record_who_gave_which_marks(self):
        self.client.force_login(self.lead)
        self.post_marks("3.5")

        entry = ModelLogEntry.objects.get(action="assessments.mark")
        self.assertEqual((entry.object_id, entry.user_id), (str(self.attempt.pk), self.lead.pk))
        self.assertEqual(entry.data, {"marks": {self.written.question_id: "3.5"}})


class TestReleaseIsLogged(MarkingTestCase):
    release_rule = "after_marking"

    def test_releasing_is_logged(self):
        self.client.force_login(self.lead)
        self.post_marks("4")
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("assessments_marking:release", args=[self.attempt.pk]))
        entry = ModelLogEntry.objects.get(action="assessments.release")
        self.assertEqual(entry.user_id, self.lead.pk)


def test_a_change_of_roles_is_logged_with_what_changed(client, db):
    admin = make_superuser()
    person = UserFactory(email="nia@example.org", full_name="Nia Newcomer")
    client.force_login(admin)

    response = client.post(
        reverse("wagtailusers_users:edit", args=[person.pk]),
        {
            "email": person.email,
            "full_name": person.full_name,
            "is_active": "on",
            "groups": [Group.objects.get(name="Course leads").pk],
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    entry = ModelLogEntry.objects.get(action="accounts.roles_change")
    assert entry.user_id == admin.pk and entry.object_id == str(person.pk)
    assert entry.data == {"added": ["Course leads"], "removed": []}

    # Saving again without a change of role adds nothing.
    client.post(
        reverse("wagtailusers_users:edit", args=[person.pk]),
        {
            "email": person.email,
            "full_name": "Nia N. Newcomer",
            "is_active": "on",
            "groups": [Group.objects.get(name="Course leads").pk],
        },
    )
    assert ModelLogEntry.objects.filter(action="accounts.roles_change").count() == 1


def _fee_band_override(client):
    """An administrator overrides a fee band through the admin, which records it in the trail."""
    enrolment = EnrolmentFactory(
        cohort=CohortFactory(code="SYS-LOG"), user=UserFactory(email="sam@nhs.net", full_name="Sam Learner")
    )
    admin = make_superuser()
    client.force_login(admin)
    response = client.post(
        reverse("courses_enrolments:override_band", args=[enrolment.pk]),
        {"band": FeeBand.EXTERNAL, "reason": "Works for a private provider."},
    )
    assert response.status_code == HTTPStatus.FOUND
    return admin


def test_administrators_filter_and_export_the_trail(client, db):
    _fee_band_override(client)

    listing = client.get(HISTORY, {"action": "courses.fee_band_override"})
    assert listing.status_code == HTTPStatus.OK
    assert "Sam Learner" in listing.content.decode()
    assert "Fee band overridden" in listing.content.decode()

    export = client.get(HISTORY, {"action": "courses.fee_band_override", "export": "csv"})
    body = b"".join(export.streaming_content) if export.streaming else export.content
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0][:4] == ["ID", "Name", "Type", "Action type"]
    assert [row[3] for row in rows[1:]] == ["Override fee band"]


def test_course_administrators_see_course_actions_but_not_roles(client, db):
    _fee_band_override(client)
    person = UserFactory(email="lee@example.org", full_name="Lee Lead")
    log(instance=person, action="accounts.roles_change", data={"added": ["Course leads"], "removed": []})
    course_admin = make_group_member("Course administrators", "cadmin@example.org")
    client.force_login(course_admin)

    text = client.get(HISTORY).content.decode()

    assert "Sam Learner" in text
    assert "Lee Lead" not in text


def test_learners_cannot_read_the_trail(client, db):
    client.force_login(UserFactory(email="someone@example.org"))
    response = client.get(HISTORY)
    assert response.status_code == HTTPStatus.FOUND
    assert "Sam Learner" not in response.content.decode()


def test_the_trail_links_each_record_to_its_admin_page(client, db):
    """Enrolments and payments have no edit view: the trail links their inspect pages instead of failing."""
    enrolment = EnrolmentFactory(user=UserFactory(email="sam@nhs.net", full_name="Sam Learner"))
    payment = enrolment.payments.create(method="invoice", amount_pence=100)
    for instance in (enrolment, payment, enrolment.cohort, enrolment.user):
        log(instance=instance, action="wagtail.edit")
    client.force_login(make_superuser())

    response = client.get(HISTORY)

    assert response.status_code == HTTPStatus.OK
    text = response.content.decode()
    assert reverse("courses_enrolments:inspect", args=[enrolment.pk]) in text
    assert reverse("courses_payments:inspect", args=[payment.pk]) in text
