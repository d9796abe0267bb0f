"""The demo certificate design, a finished cohort of the human factors course that the demo NHS learner completed (with
the certificate that verifies), and one activity in their CPD record. Safe to run again.

Registered on content's "build_demo_content" hook after courses and assessments. The completion goes through the
services a course lead's register and sign-off use, so the certificate is issued as it would be for real.
"""

import datetime
import io
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.images import ImageFile
from django.utils import timezone

from wagtail.images import get_image_model
from wagtail.models import Collection

from PIL import Image as PILImage
from PIL import ImageDraw

from assessments.demo import enrol_free
from courses import services as course_services
from courses.demo import ADMIN_EMAIL, COURSES
from courses.models import AttendanceMark, Cohort, CohortSession, CoursePage, Enrolment

from . import services
from .models import ActivityType, CertificateTemplate, CPDActivity

NHS_LEARNER_EMAIL = "nhs.learner@nhs.net"
FINISHED_COHORT = "HFE-00"
ORGANISATION = "National Patient Safety Investigations"
DESIGN_NAME = "Programme certificate"
LOGO_TITLE = "National Patient Safety Investigations logo"
ACTIVITY_TITLE = "Learning from deaths: regional mortality review workshop"


def build_logo():
    """A plain wordmark for the demo organisation (the real body uploads its own logo to the design)."""
    Image = get_image_model()
    existing = Image.objects.filter(title=LOGO_TITLE).first()
    if existing:
        return existing
    picture = PILImage.new("RGB", (480, 120), "#005eb8")
    ImageDraw.Draw(picture).text((24, 30), "NPSI", fill="#ffffff", font_size=60)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    image = Image(title=LOGO_TITLE, collection=Collection.get_first_root_node())
    image.file = ImageFile(io.BytesIO(buffer.getvalue()), name="npsi-logo.png")
    image.save()
    return image


def build_design() -> CertificateTemplate:
    design = CertificateTemplate.objects.filter(course__isnull=True).first()
    if design is None:
        design = CertificateTemplate.objects.create(
            name=DESIGN_NAME,
            organisation_name=ORGANISATION,
            logo=build_logo(),
            signatory_name="Dr Helen Marsh",
            signatory_role="Director of Education",
        )
        design.save_revision()
    return design


def build_finished_cohort(course: CoursePage, admin) -> Cohort:
    """HFE-00 ran three weekly sessions, finishing three weeks ago."""
    cohort = Cohort.objects.filter(code=FINISHED_COHORT).first()
    if cohort is not None:
        return cohort
    today, now = timezone.localdate(), timezone.now()
    starts_on = today - datetime.timedelta(days=35)
    cohort = Cohort.objects.create(
        course=course,
        code=FINISHED_COHORT,
        starts_on=starts_on,
        ends_on=starts_on + datetime.timedelta(weeks=2),
        enrolment_opens_at=now - datetime.timedelta(days=90),
        enrolment_closes_at=now - datetime.timedelta(days=42),
        capacity=16,
        joining_instructions="Join ten minutes early to test your sound and camera.",
        joining_link="https://meet.example.org/hfe-00",
    )
    for number, (title, _text) in enumerate(COURSES[1]["modules"], 1):
        CohortSession.objects.create(
            cohort=cohort,
            title=f"{number}. {title}",
            date=starts_on + datetime.timedelta(weeks=number - 1),
            start_time=datetime.time(13, 30),
            end_time=datetime.time(16, 30),
            sort_order=number,
        )
    return cohort


def complete(learner, cohort: Cohort, admin) -> Enrolment:
    """Enrolled free, present at every session, and signed off: the rule holds, so the certificate is issued."""
    enrolment = Enrolment.objects.filter(user=learner, cohort=cohort).first()
    if enrolment is None:
        enrolment = enrol_free(learner, cohort, days_ago=60)
        for session in cohort.sessions.all():
            course_services.attendance_record(
                session=session, marks={enrolment.pk: AttendanceMark.PRESENT}, by_user=admin
            )
        course_services.enrolments_sign_off(cohort=cohort, enrolments=[enrolment], completed=True, by_user=admin)
    certificate = services.certificate_issue(enrolment=enrolment, by_user=None)
    services.certificate_pdf_ensure(certificate=certificate)
    return enrolment


def log_activity(learner) -> None:
    if CPDActivity.objects.filter(user=learner).exists():
        return
    CPDActivity.objects.create(
        user=learner,
        title=ACTIVITY_TITLE,
        provider="Northfield Hospitals NHS Foundation Trust",
        activity_type=ActivityType.COURSE,
        date=timezone.localdate() - datetime.timedelta(days=12),
        hours=Decimal("3.5"),
        participatory=True,
        reflection_what="A half-day workshop on structured judgement reviews, run with the regional mortality group.",
        reflection_learned=(
            "How to read a care record for the conditions people worked in, rather than for who got something wrong."
        ),
        reflection_practice=(
            "I now write review findings about the system (staffing, handover tools) and share them at our ward's "
            "monthly learning meeting."
        ),
        reflection_code="Preserve safety: raising and acting on concerns. Practise effectively: sharing learning.",
    )


def build_certificate_demo(home):
    User = get_user_model()
    design = build_design()
    course = CoursePage.objects.descendant_of(home).filter(slug=COURSES[1]["slug"]).first()
    learner = User.objects.filter(email=NHS_LEARNER_EMAIL).first()
    admin = User.objects.filter(email=ADMIN_EMAIL).first()
    if course is None or learner is None or admin is None or design is None:
        return
    complete(learner, build_finished_cohort(course.specific, admin), admin)
    log_activity(learner)
