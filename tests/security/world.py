"""The people and objects the access tests request URLs with: one of each role, and something of each kind to ask for.

A learner on cohort A (with an attempt, a certificate, a receipt, a CPD activity with evidence, an offered place on
another cohort); another learner with objects of their own on cohort B; an editor, a moderator, a course lead of cohort
A and one of cohort B, a course administrator and a superuser, every member of staff with an authenticator app.
"""

import datetime
from types import SimpleNamespace

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone

from wagtail.contrib.redirects.models import Redirect
from wagtail.contrib.search_promotions.models import Query
from wagtail.models import Collection, Site, Task, Workflow

from accounts.factories import UserFactory
from assessments import services as assessment_services
from assessments.factories import CaseExercisePageFactory, free_text, single_choice, stage
from assessments.selectors import attempt_stages
from certificates import services as certificate_services
from certificates.models import ActivityType, CertificateTemplate, CPDActivity
from content.factories import DocumentFactory, ImageFactory, StandardPageFactory, TopicFactory
from courses import services as course_services
from courses.factories import (
    CohortFactory,
    CohortSessionFactory,
    CourseIndexPageFactory,
    CoursePageFactory,
    EnrolmentFactory,
)
from courses.models import EnrolmentStatus, Payment, PaymentMethod, PaymentStatus
from tests.conftest import make_site_home, verified
from tests.content.helpers import make_group_member, make_superuser

ROLES = (
    "anonymous",
    "learner",
    "other_learner",
    "editor",
    "moderator",
    "lead_a",
    "lead_b",
    "administrator",
    "superuser",
)


def _days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def _cohort(course, code, lead, starts, ends, **extra):
    cohort = CohortFactory(course=course, code=code, starts_on=_days(starts), ends_on=_days(ends), **extra)
    if lead:
        cohort.leads.add(lead)
        cohort.save()  # a ParentalManyToManyField is written when the cohort is saved
    return cohort


def _submitted_attempt(user, exercise):
    attempt = assessment_services.attempt_start(user=user, exercise=exercise)
    only = attempt_stages(attempt)[0]
    single, written = (question.id for question in only.questions)
    assessment_services.answers_save(
        attempt=attempt,
        user=user,
        stage_id=only.id,
        answers={single: {"choice": 0}, written: {"text": "Two versions of the policy were in use."}},
    )
    return assessment_services.stage_submit(attempt=attempt, user=user, stage_id=only.id)


def _activity(user, title):
    activity = CPDActivity.objects.create(
        user=user,
        title=title,
        provider="A trust",
        activity_type=ActivityType.READING,
        date=_days(-10),
        hours=2,
    )
    activity.evidence.save("notes.txt", ContentFile(b"What I read."))
    return activity


def build_world():
    """Everything, made once per test class (setUpTestData): returns a namespace the URL table reads from."""
    w = SimpleNamespace()
    w.home = make_site_home()
    w.site = Site.objects.get(is_default_site=True)
    w.standard_page = StandardPageFactory(parent=w.home, title="About us", slug="about-us")
    w.standard_page.save_revision().publish()  # the admin's revision and history screens need one
    w.standard_page.refresh_from_db()
    w.course_index = CourseIndexPageFactory(parent=w.home)
    w.course = CoursePageFactory(parent=w.course_index, title="A systems approach", slug="a-systems-approach")
    w.exercise = CaseExercisePageFactory(
        parent=w.course,
        title="Anticoagulation withheld",
        slug="anticoagulation-withheld",
        stages=[stage("Only", [single_choice(marks=2), free_text(marks=4)])],
    )
    w.exercise.save_revision().publish()
    w.exercise.refresh_from_db()

    # People.
    w.users = {
        "learner": verified(UserFactory(email="learner@nhs.net", full_name="Lee Learner")),
        "other_learner": verified(UserFactory(email="other@nhs.net", full_name="Olu Other")),
        "editor": verified(make_group_member("Editors", "editor@example.org")),
        "moderator": verified(make_group_member("Moderators", "moderator@example.org")),
        "lead_a": verified(make_group_member("Course leads", "lead.a@example.org")),
        "lead_b": verified(make_group_member("Course leads", "lead.b@example.org")),
        "administrator": verified(make_group_member("Course administrators", "course.admin@example.org")),
        "superuser": verified(make_superuser("root@example.org")),
    }
    learner, other = w.users["learner"], w.users["other_learner"]
    lead_a, lead_b = w.users["lead_a"], w.users["lead_b"]

    # Cohorts: A (running, led by lead A), B (running, led by lead B), a finished one of A's lead, a future one.
    w.cohort_a = _cohort(w.course, "SYS-A", lead_a, -3, 30)
    w.cohort_b = _cohort(w.course, "SYS-B", lead_b, -3, 30)
    w.cohort_done = _cohort(w.course, "SYS-DONE", lead_a, -60, -30)
    w.cohort_next = _cohort(w.course, "SYS-NEXT", None, 60, 90)
    w.session_a = CohortSessionFactory(cohort=w.cohort_a, date=_days(-1))
    w.session_b = CohortSessionFactory(cohort=w.cohort_b, date=_days(-1))

    # The learner's objects.
    w.enrolment_a = EnrolmentFactory(user=learner, cohort=w.cohort_a)
    w.payment = Payment.objects.create(
        enrolment=w.enrolment_a,
        method=PaymentMethod.INVOICE,
        status=PaymentStatus.PAID,
        amount_pence=45000,
        organisation="Independent Clinic Ltd",
        purchase_order="PO-1",
        receipt_number="R-SEC-0001",
        paid_at=timezone.now(),
    )
    w.enrolment_offer = EnrolmentFactory(
        user=learner,
        cohort=w.cohort_next,
        status=EnrolmentStatus.OFFERED,
        confirmed_at=None,
        waitlisted_at=timezone.now() - datetime.timedelta(days=1),
        offer_expires_at=timezone.now() + datetime.timedelta(days=2),
    )
    w.attempt = _submitted_attempt(learner, w.exercise)
    w.design = CertificateTemplate.objects.create(
        name="Programme certificate",
        organisation_name="National Patient Safety Investigations",
        signatory_name="Dr Helen Marsh",
        signatory_role="Director of Education",
    )
    w.design.save_revision()
    w.enrolment_done = EnrolmentFactory(user=learner, cohort=w.cohort_done)
    course_services.enrolments_sign_off(
        cohort=w.cohort_done,
        enrolments=[w.enrolment_done],
        completed=True,
        by_user=lead_a,
        override_reason="Attended every session; the register was not taken.",
    )
    w.certificate = certificate_services.certificate_issue(enrolment=w.enrolment_done, by_user=lead_a)
    # Drawn now, so that each role's requests for it do not draw it again.
    w.certificate = certificate_services.certificate_pdf_ensure(certificate=w.certificate)
    w.activity = _activity(learner, "Read the anticoagulation report")

    # The other learner's objects, and someone waiting for a place on cohort A.
    w.other_enrolment = EnrolmentFactory(user=other, cohort=w.cohort_b)
    w.other_activity = _activity(other, "Shadowed a patient safety partner")
    w.waiting_a = EnrolmentFactory(
        cohort=w.cohort_a, status=EnrolmentStatus.WAITLISTED, confirmed_at=None, waitlisted_at=timezone.now()
    )

    # Things Wagtail's own admin shows, so its object URLs find something.
    w.image = ImageFactory(title="A ward")
    w.document = DocumentFactory(title="A report")
    w.topic = TopicFactory(name="Medication safety")
    w.redirect = Redirect.objects.create(old_path="/old-page", redirect_link="/about-us/")
    w.query = Query.get("anticoagulation")
    w.collection = Collection.get_first_root_node()
    w.workflow = Workflow.objects.get(name="Moderators approval")
    w.task = Task.objects.get(name="Moderators approval")
    w.editors_group = Group.objects.get(name="Editors")
    w.email_delivery = _email_delivery(learner)
    return w


def _email_delivery(user):
    """A failed email in the outbox the course administrators watch (the first the world's emails made, or one)."""
    from courses.models import EmailDelivery, EmailStatus

    return EmailDelivery.objects.create(
        recipient=user.email, kind="enrolment_confirmed", subject="Your place", status=EmailStatus.FAILED
    )
