"""The completion rule (attendance, required exercises, sign-off) and issuing: automatic on sign-off, idempotent, a
snapshot that later edits do not change."""

import itertools
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

import pytest

from assessments.factories import CaseExercisePageFactory, single_choice, stage
from assessments.models import Attempt, AttemptStatus
from certificates import services
from certificates.exceptions import CertificateError
from certificates.models import Certificate
from certificates.selectors import rule_standing, valid_codes_for_cohort
from courses.factories import CohortFactory
from courses.models import EnrolmentStatus
from tests.certificates.conftest import attend, days, enrol, sign_off

pytestmark = pytest.mark.django_db


def pass_exercise(enrolment, exercise):
    Attempt.objects.create(
        user=enrolment.user,
        exercise=exercise,
        revision=exercise.latest_revision,
        enrolment=enrolment,
        status=AttemptStatus.MARKED,
        score=Decimal(1),
        max_score=Decimal(1),
        passed=True,
        released_at=timezone.now(),
    )


@pytest.fixture
def required_exercise(cert_course):
    exercise = CaseExercisePageFactory(
        parent=cert_course,
        title="The handover",
        counts_towards_completion=True,
        stages=[stage("One", [single_choice()])],
    )
    exercise.save_revision().publish()
    return exercise


@pytest.mark.parametrize(("attended", "passed", "signed_off"), list(itertools.product([True, False], repeat=3)))
def test_the_rule_holds_only_when_every_part_does(
    attended, passed, signed_off, finished_cohort, course_lead, design, required_exercise
):
    enrolment = enrol(finished_cohort, "Sam Case")
    attend(enrolment, 3 if attended else 1, course_lead)  # 1 of 3 is under the course's 80%
    if passed:
        pass_exercise(enrolment, required_exercise)
    if signed_off:
        # Signing off someone the register or an exercise does not show as meeting the rule needs a reason; here the
        # sign-off is recorded directly so that the rule itself is what is tested.
        enrolment.status = EnrolmentStatus.COMPLETED
        enrolment.completion_recorded_at = timezone.now()
        enrolment.save(update_fields=["status", "completion_recorded_at"])

    standing = rule_standing(enrolment=enrolment)
    labels = {check.label: check.met for check in standing.checks}
    assert labels == {
        "Attendance of at least 80%": attended,
        "Pass 'The handover'": passed,
        "Signed off by a course lead": signed_off,
    }
    assert standing.holds is (attended and passed and signed_off)

    if standing.holds:
        assert services.certificate_issue(enrolment=enrolment).enrolment == enrolment
    else:
        with pytest.raises(CertificateError) as refused:
            services.certificate_issue(enrolment=enrolment)
        assert refused.value.code == "rule_not_met"
        assert not Certificate.objects.exists()


def test_a_sign_off_with_an_override_reason_counts_as_meeting_the_rule(
    finished_cohort, course_lead, design, django_capture_on_commit_callbacks
):
    enrolment = enrol(finished_cohort, "Sam Case")
    attend(enrolment, 1, course_lead)
    with django_capture_on_commit_callbacks(execute=True):
        enrolment = sign_off(
            enrolment, course_lead, override_reason="Missed two sessions for a family emergency; caught up 1:1."
        )
    assert rule_standing(enrolment=enrolment).overridden
    assert enrolment.certificates.count() == 1


def test_signing_off_issues_the_certificate_and_its_pdf_automatically(completed):
    certificate = completed.certificates.get()
    assert certificate.issued_by is None
    assert certificate.pdf.name.endswith(".pdf")
    assert certificate.pdf.storage.exists(certificate.pdf.name)


def test_signing_off_as_did_not_complete_issues_nothing(
    finished_cohort, course_lead, design, django_capture_on_commit_callbacks
):
    enrolment = enrol(finished_cohort, "Sam Case")
    attend(enrolment, 3, course_lead)
    with django_capture_on_commit_callbacks(execute=True):
        from courses import services as course_services

        course_services.enrolments_sign_off(
            cohort=finished_cohort, enrolments=[enrolment], completed=False, by_user=course_lead
        )
    assert not Certificate.objects.exists()


def test_issuing_twice_gives_one_certificate(completed, course_lead):
    first = completed.certificates.get()
    again = services.certificate_issue(enrolment=completed, by_user=course_lead)
    issued, _not_met = services.certificates_issue_for_cohort(cohort=completed.cohort, by_user=course_lead)
    assert again == first
    assert issued == []
    assert Certificate.objects.count() == 1


def test_a_cohorts_valid_codes_are_its_own_learners_current_certificates(
    certificate, completed, course_lead, design, cert_course, django_capture_on_commit_callbacks
):
    elsewhere = CohortFactory(course=cert_course, code="HFE-01", starts_on=days(-35), ends_on=days(-21))
    other = enrol(elsewhere, "Tom Reed")
    with django_capture_on_commit_callbacks(execute=True):
        sign_off(other, course_lead, override_reason="Attended the pilot")
    not_yet = enrol(completed.cohort, "Ana Silva")
    assert valid_codes_for_cohort(cohort=completed.cohort) == {completed.pk: certificate.code}

    new = services.certificate_reissue(certificate=certificate, by_user=course_lead, reason="Name corrected")
    assert valid_codes_for_cohort(cohort=completed.cohort) == {completed.pk: new.code}
    services.certificate_revoke(certificate=new, by_user=course_lead, reason="Issued in error")
    assert valid_codes_for_cohort(cohort=completed.cohort) == {}
    assert not_yet.pk not in valid_codes_for_cohort(cohort=elsewhere)
    assert list(valid_codes_for_cohort(cohort=elsewhere)) == [other.pk]


def test_the_database_allows_one_valid_certificate_per_enrolment(certificate):
    duplicate = Certificate.objects.get(pk=certificate.pk)
    duplicate.pk, duplicate.code = None, "2222-3333-4444"
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_the_certificate_is_a_snapshot(certificate, completed, cert_course, design):
    assert certificate.learner_name == "Priya Shah"
    assert certificate.course_title == "Human factors essentials"
    assert certificate.cohort_code == "HFE-00"
    assert (certificate.cohort_starts_on, certificate.cohort_ends_on) == (
        completed.cohort.starts_on,
        completed.cohort.ends_on,
    )
    assert certificate.completed_on == timezone.localdate(completed.completion_recorded_at)
    assert certificate.cpd_hours == Decimal("6.0")
    assert (certificate.accreditation_body, certificate.accreditation_reference) == (
        "The CPD Certification Service",
        "CPD-HFE-0212",
    )
    assert certificate.template_revision == design.latest_revision
    assert len(certificate.code) == 14 and certificate.code.count("-") == 2

    # Later edits to the learner, the course or the design leave the certificate as it was issued.
    completed.user.full_name = "Priya Shah-Jones"
    completed.user.save()
    cert_course.title, cert_course.cpd_hours = "Human factors, second edition", 8
    cert_course.save()
    design.signatory_name = "Someone Else"
    design.save()
    design.save_revision()
    certificate.refresh_from_db()
    assert (certificate.learner_name, certificate.course_title, certificate.cpd_hours) == (
        "Priya Shah",
        "Human factors essentials",
        Decimal("6.0"),
    )
    assert certificate.template_revision.as_object().signatory_name == "Dr Helen Marsh"


def test_codes_are_unguessable_and_distinct():
    from certificates.models import CODE_ALPHABET, certificate_code_new

    codes = {certificate_code_new() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(set(code.replace("-", "")) <= set(CODE_ALPHABET) for code in codes)


def test_without_a_design_nothing_is_issued(finished_cohort, course_lead):
    enrolment = enrol(finished_cohort, "Sam Case")
    attend(enrolment, 3, course_lead)
    sign_off(enrolment, course_lead)
    with pytest.raises(CertificateError) as refused:
        services.certificate_issue(enrolment=enrolment)
    assert refused.value.code == "no_design"
