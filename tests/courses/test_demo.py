"""`seed_demo` builds the course catalogue through content's build_demo_content hook, once."""

from http import HTTPStatus
from io import StringIO

from django.core.cache import cache
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from wagtail.models import Page, Site

from accounts.models import User
from content.models import HomePage, NavigationSettings, StandardPage
from courses.demo import COURSES, LEARNERS
from courses.models import (
    SEAT_STATUSES,
    Cohort,
    CohortSession,
    CourseIndexPage,
    CoursePage,
    Enrolment,
    EnrolmentStatus,
    Payment,
    PaymentStatus,
    VatStatus,
)

FLAGSHIP = "A systems approach to investigating and learning from patient safety incidents"


def seed():
    call_command("seed_demo", stdout=StringIO())


def counts():
    return {
        model.__name__: model.objects.count()
        for model in [Page, CourseIndexPage, CoursePage, Cohort, CohortSession, Enrolment, Payment, User]
    }


class SeedDemoCoursesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        seed()
        cls.counts_after_first_run = counts()
        cls.home = Site.objects.get(is_default_site=True).root_page.specific

    def setUp(self):
        cache.clear()

    def test_running_again_creates_nothing_new(self):
        seed()

        self.assertEqual(counts(), self.counts_after_first_run)

    def test_builds_the_catalogue_with_two_courses_and_four_cohorts(self):
        catalogue = CourseIndexPage.objects.get()
        self.assertEqual(catalogue.get_parent().specific, self.home)
        self.assertEqual((catalogue.slug, catalogue.title), ("courses", "Courses"))
        self.assertTrue(catalogue.live)
        courses = {course.title: course for course in CoursePage.objects.child_of(catalogue).live()}
        self.assertEqual(set(courses), {FLAGSHIP, "Human factors essentials for patient safety"})

        flagship = courses[FLAGSHIP]
        self.assertEqual((flagship.cpd_hours, flagship.external_fee_pence), (18, 45000))
        self.assertEqual(flagship.vat_status, VatStatus.EXEMPT)
        self.assertEqual(len(flagship.outline), 6)
        self.assertTrue(flagship.accreditation_body and flagship.accreditation_reference)
        self.assertIn("80%", flagship.completion_requirements)
        short = courses["Human factors essentials for patient safety"]
        self.assertEqual((short.cpd_hours, short.external_fee_pence), (6, 15000))

        self.assertEqual(flagship.cohorts.count(), 3)
        # HFE-00, finished, comes from the certificates demo (certificates/demo.py), the rest from courses'.
        self.assertEqual(set(short.cohorts.values_list("code", flat=True)), {"HFE-00", "HFE-01"})
        for cohort in Cohort.objects.all():
            with self.subTest(cohort=cohort.code):
                self.assertTrue(3 <= cohort.sessions.count() <= 6)
                self.assertEqual(cohort.ends_on, max(cohort.sessions.values_list("date", flat=True)))

    def test_one_open_cohort_one_full_with_a_waiting_list_and_one_closed(self):
        flagship = CoursePage.objects.get(title=FLAGSHIP)
        cohorts = list(flagship.cohorts.order_by("code"))
        open_now = [c for c in cohorts if c.is_open()]
        self.assertEqual(len(open_now), 2)

        def taken(cohort):
            return cohort.enrolments.filter(status__in=SEAT_STATUSES).count()

        with_places = [c for c in open_now if taken(c) < c.capacity]
        full = [c for c in open_now if taken(c) >= c.capacity]
        self.assertEqual(len(with_places), 1)
        self.assertEqual(with_places[0].capacity, 20)
        self.assertGreater(taken(with_places[0]), 0)
        [full] = full
        self.assertEqual(full.capacity, 2)
        self.assertEqual(full.enrolments.filter(status=EnrolmentStatus.CONFIRMED).count(), 2)
        self.assertEqual(full.enrolments.filter(status=EnrolmentStatus.WAITLISTED).count(), 2)
        [closed] = [c for c in cohorts if not c.is_open()]
        self.assertLess(closed.enrolment_closes_at, timezone.now())
        lead = User.objects.get(email="course.lead@example.org")
        for cohort in cohorts:
            self.assertIn(lead, cohort.leads.all())
        self.assertFalse(
            Cohort.objects.exclude(course=flagship).filter(leads=lead).exists(),
            "the demo lead must not lead the other course, so the demo shows what they cannot reach",
        )

    def test_the_closed_cohort_is_running_with_its_first_register_taken(self):
        running = Cohort.objects.get(code="SYS-03")
        self.assertTrue(running.has_started())
        self.assertGreaterEqual(running.ends_on, timezone.localdate())
        first, second = running.sessions.order_by("date")[:2]
        self.assertLess(first.date, timezone.localdate())
        self.assertLessEqual(second.date, timezone.localdate(), "a second session is held, for the lead to register")
        confirmed = running.enrolments.filter(status=EnrolmentStatus.CONFIRMED)
        self.assertGreaterEqual(confirmed.filter(fee_band="free").count(), 3)
        self.assertEqual(first.attendance.count(), confirmed.count())
        self.assertFalse(second.attendance.exists())

    def test_the_demo_learners_are_free_to_enrol_on_the_open_flagship_cohort(self):
        flagship = CoursePage.objects.get(title=FLAGSHIP)
        for email in ["nhs.learner@nhs.net", "external.learner@example.com"]:
            with self.subTest(email=email):
                # Free to enrol on the open cohorts (the NHS learner also has a place on the running SYS-03, where
                # the assessments demo gives them a case exercise in progress).
                self.assertFalse(
                    Enrolment.objects.filter(
                        user__email=email, cohort__course=flagship, cohort__code__in=["SYS-01", "SYS-02"]
                    ).exists()
                )
        self.assertEqual(
            User.objects.filter(email__in=[email for _name, email, _org in LEARNERS.values()]).count(), len(LEARNERS)
        )

    def test_payments_include_paid_invoices_with_receipts_and_one_to_mark_paid(self):
        paid = Payment.objects.filter(status=PaymentStatus.PAID)
        self.assertTrue(paid.exists())
        self.assertFalse(paid.filter(receipt_number=None).exists())
        pending = Payment.objects.get(status=PaymentStatus.PENDING)
        self.assertEqual(pending.enrolment.status, EnrolmentStatus.AWAITING_PAYMENT)
        self.assertEqual(Enrolment.objects.exclude(band_override_reason="").count(), 1)

    def test_the_home_page_and_the_navigation_link_to_the_catalogue(self):
        catalogue = CourseIndexPage.objects.get()
        home = HomePage.objects.get(pk=self.home.pk)
        self.assertEqual(home.education_link_id, catalogue.pk)
        self.assertEqual(home.get_latest_revision_as_object().education_link_id, catalogue.pk)
        nav = NavigationSettings.for_site(Site.objects.get(is_default_site=True))
        links = {block.value["label"]: block.value["page"].pk for block in nav.links}
        self.assertEqual(links["Courses"], catalogue.pk)
        # The old placeholder page stays, but nothing points at it any more.
        self.assertTrue(StandardPage.objects.filter(slug="education").exists())

    def test_the_catalogue_and_course_pages_render(self):
        for page in [CourseIndexPage.objects.get(), *CoursePage.objects.all()]:
            with self.subTest(page=page.title):
                self.assertEqual(self.client.get(page.url).status_code, HTTPStatus.OK)
        response = self.client.get("/")
        self.assertContains(response, CourseIndexPage.objects.get().url)

    def test_course_titles_are_the_demo_text(self):
        self.assertEqual(
            [c["title"] for c in COURSES],
            list(CoursePage.objects.order_by("-cpd_hours").values_list("title", flat=True)),
        )
