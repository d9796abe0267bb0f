"""Who reaches which cohort dashboard: every dashboard, export, register, message, sign-off and report URL, by role."""

from http import HTTPStatus

from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from accounts.factories import UserFactory
from courses.factories import (
    CohortFactory,
    CohortSessionFactory,
    CourseIndexPageFactory,
    CoursePageFactory,
    EnrolmentFactory,
)
from courses.models import Attendance, Cohort, CohortMessage, Enrolment, EnrolmentStatus
from tests.conftest import make_site_home
from tests.content.helpers import make_group_member, make_superuser


def dashboard(name, *args):
    return reverse(f"courses_cohort_dashboards:{name}", args=args)


REPORT = "/admin/courses/report/"


class TestRoleByUrl(TestCase):
    @classmethod
    def setUpTestData(cls):
        home = make_site_home()
        index = CourseIndexPageFactory(parent=home)
        course = CoursePageFactory(parent=index, title="A systems approach")
        other_course = CoursePageFactory(parent=index, title="Human factors")
        today = timezone.localdate()
        cls.lead_a = make_group_member("Course leads", "lead.a@example.org")
        cls.lead_b = make_group_member("Course leads", "lead.b@example.org")
        cls.cohort_a = CohortFactory(course=course, code="SYS-A", starts_on=today, capacity=1)
        cls.cohort_b = CohortFactory(course=other_course, code="HFE-B", starts_on=today)
        for cohort, lead in [(cls.cohort_a, cls.lead_a), (cls.cohort_b, cls.lead_b)]:
            cohort.leads.add(lead)
            cohort.save()  # a ParentalManyToManyField is written when the cohort is saved
        cls.session_a = CohortSessionFactory(cohort=cls.cohort_a, date=today)
        cls.confirmed = EnrolmentFactory(cohort=cls.cohort_a)
        cls.waiting = EnrolmentFactory(cohort=cls.cohort_a, status=EnrolmentStatus.WAITLISTED, confirmed_at=None)
        cls.administrator = make_group_member("Course administrators", "course.admin@example.org")
        cls.superuser = make_superuser("root@example.org")
        cls.editor = make_group_member("Editors", "editor@example.org")
        cls.learner = UserFactory(email="learner@nhs.net")

    def cohort_pages(self, cohort, session=None):
        pages = [
            dashboard("dashboard", cohort.pk),
            dashboard("dashboard", cohort.pk) + "?export=csv",
            dashboard("dashboard", cohort.pk) + "?export=xlsx",
            dashboard("joining", cohort.pk),
            dashboard("message", cohort.pk),
            dashboard("sign_off", cohort.pk),
            dashboard("bulk_enrol", cohort.pk),
        ]
        if session:
            pages.append(dashboard("register", cohort.pk, session.pk))
        return pages

    def posts(self):
        """Every change a lead can make on cohort A, as the POST a browser would send."""
        a = self.cohort_a.pk
        return [
            (dashboard("register", a, self.session_a.pk), {"all_present": "1"}),
            (
                dashboard("joining", a),
                {"joining_instructions": "Bring a headset.", "joining_link": "https://meet.example.org/a"},
            ),
            (dashboard("message", a), {"audience": "confirmed", "subject": "Hello", "body": "See you soon."}),
            (dashboard("sign_off", a), {"enrolments": [self.confirmed.pk], "outcome": "did_not_complete"}),
            (dashboard("waitlist_action", a, self.waiting.pk, "promote"), {}),
            (dashboard("waitlist_action", a, self.waiting.pk, "remove"), {}),
        ]

    def assertDenied(self, response):
        """The admin answers a missing permission by sending the person to its home page with an error."""
        self.assertRedirects(response, reverse("wagtailadmin_home"), fetch_redirect_response=False)

    def state(self):
        return (
            list(Cohort.objects.order_by("pk").values_list("joining_instructions", "capacity")),
            list(Enrolment.objects.order_by("pk").values_list("pk", "status")),
            Attendance.objects.count(),
            CohortMessage.objects.count(),
            len(mail.outbox),
        )

    def test_anonymous_visitors_are_sent_to_sign_in(self):
        for page in [dashboard("index"), *self.cohort_pages(self.cohort_a, self.session_a), REPORT]:
            with self.subTest(page=page):
                response = self.client.get(page)
                self.assertEqual(response.status_code, HTTPStatus.FOUND)
                self.assertIn("login", response.url)

    def test_learners_without_admin_access_are_turned_away(self):
        self.client.force_login(self.learner)
        for page in [dashboard("index"), *self.cohort_pages(self.cohort_a, self.session_a), REPORT]:
            with self.subTest(page=page):
                self.assertEqual(self.client.get(page).status_code, HTTPStatus.FOUND)
        before = self.state()
        for page, data in self.posts():
            with self.subTest(post=page):
                self.assertEqual(self.client.post(page, data).status_code, HTTPStatus.FOUND)
        self.assertEqual(self.state(), before)

    def test_an_editor_sees_no_cohort_and_no_report(self):
        self.client.force_login(self.editor)
        index = self.client.get(dashboard("index"))
        self.assertEqual(index.status_code, HTTPStatus.OK)
        self.assertNotContains(index, "SYS-A")
        self.assertNotContains(self.client.get(reverse("wagtailadmin_home")), dashboard("index"))
        for page in self.cohort_pages(self.cohort_a, self.session_a):
            with self.subTest(page=page):
                self.assertEqual(self.client.get(page).status_code, HTTPStatus.NOT_FOUND)
        self.assertDenied(self.client.get(REPORT))

    def test_the_lead_of_a_reaches_everything_of_a(self):
        self.client.force_login(self.lead_a)
        index = self.client.get(dashboard("index"))
        self.assertContains(index, "SYS-A")
        self.assertNotContains(index, "HFE-B")
        self.assertContains(self.client.get(reverse("wagtailadmin_home")), dashboard("index"))
        for page in self.cohort_pages(self.cohort_a, self.session_a):
            with self.subTest(page=page):
                self.assertEqual(self.client.get(page).status_code, HTTPStatus.OK)

    def test_the_lead_of_a_gets_404_for_everything_of_b_and_no_report(self):
        session_b = CohortSessionFactory(cohort=self.cohort_b, date=self.cohort_b.starts_on)
        waiting_b = EnrolmentFactory(cohort=self.cohort_b, status=EnrolmentStatus.WAITLISTED, confirmed_at=None)
        self.client.force_login(self.lead_a)
        for page in self.cohort_pages(self.cohort_b, session_b):
            with self.subTest(page=page):
                self.assertEqual(self.client.get(page).status_code, HTTPStatus.NOT_FOUND)
        # Cohort A's register with cohort B's session, and cohort A's URL with cohort B's learner, are not found either.
        self.assertEqual(
            self.client.get(dashboard("register", self.cohort_a.pk, session_b.pk)).status_code, HTTPStatus.NOT_FOUND
        )
        before = self.state()
        b = self.cohort_b.pk
        for page, data in [
            (dashboard("register", b, session_b.pk), {"all_present": "1"}),
            (dashboard("message", b), {"audience": "waitlisted", "subject": "Hello", "body": "Hi."}),
            (dashboard("waitlist_action", b, waiting_b.pk, "promote"), {}),
            (dashboard("waitlist_action", self.cohort_a.pk, waiting_b.pk, "remove"), {}),
            (dashboard("bulk_enrol", b), {"employer": "Trust"}),
        ]:
            with self.subTest(post=page):
                self.assertEqual(self.client.post(page, data).status_code, HTTPStatus.NOT_FOUND)
        self.assertEqual(self.state(), before)
        self.assertDenied(self.client.get(REPORT))
        self.assertDenied(self.client.get(REPORT + "?export=csv"))

    def test_the_lead_of_b_gets_404_for_everything_of_a_and_changes_nothing(self):
        self.client.force_login(self.lead_b)
        for page in self.cohort_pages(self.cohort_a, self.session_a):
            with self.subTest(page=page):
                self.assertEqual(self.client.get(page).status_code, HTTPStatus.NOT_FOUND)
        before = self.state()
        for page, data in self.posts():
            with self.subTest(post=page):
                self.assertEqual(self.client.post(page, data).status_code, HTTPStatus.NOT_FOUND)
        self.assertEqual(self.state(), before)

    def test_course_administrators_and_superusers_reach_every_cohort_and_the_report(self):
        for user in [self.administrator, self.superuser]:
            self.client.force_login(user)
            index = self.client.get(dashboard("index"))
            self.assertContains(index, "SYS-A")
            self.assertContains(index, "HFE-B")
            for page in [
                *self.cohort_pages(self.cohort_a, self.session_a),
                *self.cohort_pages(self.cohort_b),
                REPORT,
                REPORT + "?export=csv",
            ]:
                with self.subTest(user=user.email, page=page):
                    self.assertEqual(self.client.get(page).status_code, HTTPStatus.OK)

    def test_every_action_works_for_the_lead_of_a(self):
        self.client.force_login(self.lead_a)
        for page, data in self.posts():
            with self.subTest(post=page):
                response = self.client.post(page, data)
                self.assertRedirects(response, dashboard("dashboard", self.cohort_a.pk))
        self.assertEqual(Attendance.objects.get().enrolment, self.confirmed)
        self.assertEqual(CohortMessage.objects.get().recipients.get().email, self.confirmed.user.email)
        self.confirmed.refresh_from_db()
        self.waiting.refresh_from_db()
        self.assertEqual(self.confirmed.status, EnrolmentStatus.DID_NOT_COMPLETE)
        self.assertEqual(self.waiting.status, EnrolmentStatus.CANCELLED)
        self.cohort_a.refresh_from_db()
        self.assertEqual(self.cohort_a.joining_instructions, "Bring a headset.")
