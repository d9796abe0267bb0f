"""A learner's own data: downloading all of it (JSON and a readable page), and closing the account."""

import datetime
import json
from http import HTTPStatus

from django.core.files.base import ContentFile
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

import pytest
from allauth.account.models import EmailAddress

from accounts.factories import UserFactory
from accounts.models import Profile, User
from assessments import services as assessment_services
from assessments.factories import CaseExercisePageFactory, free_text, stage
from assessments.models import Attempt
from assessments.selectors import attempt_stages
from certificates.models import Certificate, CPDActivity, CPDProfile
from courses.emails import ACCOUNT_CLOSED, enrolment_email_send
from courses.factories import CohortFactory, EnrolmentFactory
from courses.models import (
    CourseInterest,
    EmailDelivery,
    EmailStatus,
    Enrolment,
    EnrolmentStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from tests.accounts.helpers import reauthenticate, signed_in_user_id
from tests.assessments.helpers import publish
from tests.conftest import verified
from tests.content.helpers import make_group_member

pytestmark = pytest.mark.django_db

ANSWER = "The pump's default rate hid the change of shift."
UNRELEASED = "Good: now name the latent conditions."


@pytest.fixture
def holder(certificate, cert_course, django_capture_on_commit_callbacks):
    """Priya: a certificate, a profile, a place on a running cohort with an answered exercise, a place on a full future
    cohort that someone waits for, a paid invoice, a CPD activity with evidence and a registered interest."""
    user = verified(certificate.user)
    Profile.objects.update_or_create(
        user=user,
        defaults={"organisation": "Northfield NHS Trust", "job_role": "Ward sister", "registration_number": "12A3456B"},
    )
    today = timezone.localdate()
    running = CohortFactory(
        course=cert_course,
        code="HFE-01",
        starts_on=today - datetime.timedelta(days=2),
        ends_on=today + datetime.timedelta(days=30),
    )
    EnrolmentFactory(user=user, cohort=running)
    exercise = publish(
        CaseExercisePageFactory(
            parent=cert_course, title="The missed dose", stages=[stage("The ward", [free_text("What made it likely?")])]
        )
    )
    attempt = assessment_services.attempt_start(user=user, exercise=exercise)
    question = attempt_stages(attempt)[0].questions[0]
    assessment_services.answers_save(
        attempt=attempt, user=user, stage_id=attempt.route[0], answers={question.id: {"text": ANSWER}}
    )
    # A mark and feedback given but not yet released, and a log entry naming the learner.
    attempt.answers.update(score=3, marker_feedback=UNRELEASED)
    log(instance=attempt, action="assessments.mark")

    future = CohortFactory(course=cert_course, code="HFE-02", capacity=1, starts_on=today + datetime.timedelta(days=20))
    place = EnrolmentFactory(
        user=user,
        cohort=future,
        employer="Northfield NHS Trust",
        fee_band_reason="Free: your verified email priya.shah@nhs.net is on an NHS England domain.",
    )
    enrolment_email_send(kind="confirmed", enrolment=place)
    EmailDelivery.objects.create(
        kind="offered",
        recipient=user.email,
        subject="A place",
        params={"user_id": user.pk},
        last_error="550 priya.shah@nhs.net",
    )
    Payment.objects.create(
        enrolment=place,
        method=PaymentMethod.INVOICE,
        status=PaymentStatus.PAID,
        amount_pence=45000,
        organisation="Northfield NHS Trust",
        purchase_order="PO-991",
    )
    waiting = UserFactory(email="next@example.org", full_name="Next In Line")
    EnrolmentFactory(user=waiting, cohort=future, status=EnrolmentStatus.WAITLISTED, waitlisted_at=timezone.now())

    activity = CPDActivity.objects.create(
        user=user,
        title="Reading on just culture",
        activity_type="reading",
        date=today,
        hours=2,
        reflection_learned="Blame hides causes.",
    )
    activity.evidence.save("notes.txt", ContentFile(b"my notes"))
    CPDProfile.objects.create(user=user, revalidation_due=today + datetime.timedelta(days=300))
    CourseInterest.objects.create(user=user, course=cert_course)
    return user


def test_your_data_needs_signing_in(client):
    for name in ("accounts:your_data", "accounts:your_data_json", "accounts:close"):
        response = client.get(reverse(name))
        assert response.status_code == HTTPStatus.FOUND
        assert response.url.startswith(reverse("account_login"))


def test_the_page_shows_everything_held_in_every_app(client, holder):
    client.force_login(holder)
    page = client.get(reverse("accounts:your_data"))

    assert page.status_code == HTTPStatus.OK
    assert "no-cache" in page["Cache-Control"]
    text = page.content.decode()
    for held in (
        holder.email,
        "Northfield NHS Trust",
        "12A3456B",
        "HFE-02",
        "PO-991",
        holder.certificates.get().code,
        "What made it likely?",
        "the change of shift",
        "Reading on just culture",
        "Blame hides causes.",
        "notes.txt",
        cert_course_title(holder),
    ):
        assert held in text, held


def cert_course_title(user):
    return user.certificates.get().course_title


def test_the_json_download_holds_the_same_data_by_section(client, holder):
    client.force_login(holder)
    response = client.get(reverse("accounts:your_data_json"))

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="your-data-')
    data = json.loads(response.content)["sections"]
    assert data["account"] == [
        {
            "email": holder.email,
            "full_name": "Priya Shah",
            "date_joined": data["account"][0]["date_joined"],
            "last_login": data["account"][0]["last_login"],
        }
    ]
    assert data["profile"][0]["registration_number"] == "12A3456B"
    assert {row["cohort"] for row in data["enrolments"]} == {"HFE-00", "HFE-01", "HFE-02"}
    assert data["payments"][0]["purchase_order"] == "PO-991"
    assert data["payments"][0]["status"] == "Paid", "choices read as the site shows them"
    assert [row["response"] for row in data["exercise_answers"]] == [ANSWER]
    assert data["exercise_answers"][0]["marker_feedback"] is None, "not released yet, so not shown here either"
    assert UNRELEASED not in response.content.decode()
    assert {row["subject"] for row in data["emails"]} >= {"A place"}
    assert data["certificates"][0]["learner_name"] == "Priya Shah"
    stored = CPDActivity.objects.get(user=holder).evidence.name
    assert data["cpd_activities"][0]["evidence"] == stored.rsplit("/", 1)[-1]
    assert data["course_interests"][0]["course"] == "Human factors essentials"
    assert len(data["attendance"]) == 3


def test_the_readable_download_is_a_web_page_to_keep(client, holder):
    client.force_login(holder)
    response = client.get(reverse("accounts:your_data") + "?download=html")

    assert response["Content-Disposition"].startswith('attachment; filename="your-data-')
    assert response["Content-Disposition"].endswith('.html"')
    assert "Reading on just culture" in response.content.decode()


def test_nobody_else_sees_the_data(client, holder):
    other = UserFactory(email="other@example.org", full_name="Other Learner")
    client.force_login(other)
    text = client.get(reverse("accounts:your_data")).content.decode()
    body = json.loads(client.get(reverse("accounts:your_data_json")).content)

    assert "Priya" not in text and "Northfield" not in text
    assert body["sections"]["enrolments"] == [] and body["sections"]["account"][0]["email"] == "other@example.org"


# --- Closing the account -----------------------------------------------------------------------------------------------


def close(client, user, password, data=None):
    client.force_login(user)
    response = client.post(reverse("accounts:close"), data if data is not None else {"confirm": "on"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_reauthenticate")), "the password is asked again first"
    # allauth keeps the POST and carries it out once the password is right.
    return client.post(response.url, {"password": password})


def test_closing_asks_for_the_password_and_a_confirmation(client, holder, password):
    client.force_login(holder)
    assert "Close my account" in client.get(reverse("accounts:close")).content.decode()
    reauthenticate(client, password)

    response = client.post(reverse("accounts:close"), {})

    assert response.status_code == HTTPStatus.OK
    assert "Confirm that you understand closing your account cannot be undone" in response.content.decode()
    holder.refresh_from_db()
    assert holder.is_active and holder.closed_at is None and holder.full_name == "Priya Shah"


def test_closing_erases_personal_data_and_keeps_what_must_be_kept(
    client, holder, password, django_capture_on_commit_callbacks
):
    code = holder.certificates.get().code
    evidence = CPDActivity.objects.get(user=holder).evidence
    storage, evidence_name = evidence.storage, evidence.name
    payments = list(Payment.objects.filter(enrolment__user=holder).values_list("pk", "amount_pence", "purchase_order"))

    with django_capture_on_commit_callbacks(execute=True):
        response = close(client, holder, password)

    # The stashed POST went through after the password: the person is signed out and told.
    assert signed_in_user_id(client) is None
    holder.refresh_from_db()
    assert holder.full_name == "" and holder.email == f"closed-{holder.pk}@closed.invalid"
    assert not holder.is_active and not holder.has_usable_password() and holder.closed_at is not None
    assert response.status_code == HTTPStatus.FOUND

    # Erased.
    assert not Profile.objects.filter(user=holder).exists()
    assert not EmailAddress.objects.filter(user=holder).exists()
    assert not Attempt.objects.filter(user=holder).exists()
    assert not CPDActivity.objects.filter(user=holder).exists() and not CPDProfile.objects.filter(user=holder).exists()
    assert not storage.exists(evidence_name)
    assert not CourseInterest.objects.filter(user=holder).exists()
    assert set(Enrolment.objects.filter(user=holder).values_list("employer", flat=True)) == {""}

    # Given up: the open places, the seat going to whoever waited.
    statuses = dict(Enrolment.objects.filter(user=holder).values_list("cohort__code", "status"))
    assert statuses == {
        "HFE-00": EnrolmentStatus.COMPLETED,
        "HFE-01": EnrolmentStatus.WITHDRAWN,
        "HFE-02": EnrolmentStatus.WITHDRAWN,
    }
    assert Enrolment.objects.get(user__email="next@example.org").status == EnrolmentStatus.OFFERED

    # Kept: payments whole, the certificate as issued.
    assert (
        list(Payment.objects.filter(enrolment__user=holder).values_list("pk", "amount_pence", "purchase_order"))
        == payments
    )
    assert Certificate.objects.get(code=code).learner_name == "Priya Shah"

    # The audit trail records the closure and no longer names the person.
    entry = ModelLogEntry.objects.get(action="accounts.close")
    assert entry.object_id == str(holder.pk) and "Priya" not in entry.label
    assert not ModelLogEntry.objects.filter(label__icontains="Priya").exists()
    assert not any(
        "priya" in reason for reason in Enrolment.objects.filter(user=holder).values_list("fee_band_reason", flat=True)
    )
    deliveries = EmailDelivery.objects.filter(params__user_id=holder.pk)
    assert (
        deliveries.exists()
        and not deliveries.filter(Q(recipient__icontains="priya") | Q(last_error__icontains="priya")).exists()
    )
    assert deliveries.get(subject="A place").status == EmailStatus.FAILED
    assert deliveries.get(subject="A place").last_error == ACCOUNT_CLOSED


def test_a_closed_account_cannot_sign_in_again(client, holder, password):
    close(client, holder, password)
    response = client.post(reverse("account_login"), {"login": "priya.shah@nhs.net", "password": password})
    assert signed_in_user_id(client) is None
    assert response.status_code == HTTPStatus.OK


def test_verification_then_says_only_that_the_certificate_was_issued(client, holder, password):
    code = holder.certificates.get().code
    close(client, holder, password)

    page = client.get(reverse("certificates:verify", args=[code]))

    text = page.content.decode()
    assert page.status_code == HTTPStatus.OK
    assert "We issued this certificate" in text and "Issued on" in text
    assert "Priya" not in text and "Human factors essentials" not in text and "CPD hours" not in text


def test_staff_close_their_accounts_through_an_administrator(client, password):
    editor = verified(make_group_member("Editors", "editor@example.org"))
    client.force_login(editor)
    reauthenticate(client, password)

    assert "Ask an administrator to close yours" in client.get(reverse("accounts:close")).content.decode()
    client.post(reverse("accounts:close"), {"confirm": "on"})

    editor.refresh_from_db()
    assert editor.is_active and editor.closed_at is None
    assert User.objects.filter(email="editor@example.org").exists()


def test_no_certificate_is_issued_once_the_account_is_closed(client, holder, password):
    from certificates.exceptions import CertificateError
    from certificates.services import certificate_issue

    enrolment = Enrolment.objects.get(user=holder, cohort__code="HFE-00")
    Certificate.objects.filter(user=holder).update(revoked_at=timezone.now())
    close(client, holder, password)

    with pytest.raises(CertificateError) as refused:
        certificate_issue(enrolment=enrolment)
    assert refused.value.code == "closed"
