"""Script in every free-text field a learner can fill, and every place that shows it, escaped.

A learner signs up, fills their profile, enrols and asks for an invoice, logs CPD with reflections and answers a case
exercise, each with markup in every box (tests/security/hostile.py). Each page, PDF source and email that shows one of
those values is then read as the learner, their course lead, an administrator and the public: every value must be on it
(so the test proves it was rendered) and none may be markup. Values are numbered, so a failure names the field.
"""

import datetime
from http import HTTPStatus
from urllib.parse import quote

from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.factories import TEST_PASSWORD, UserFactory
from accounts.models import User
from assessments.factories import CaseExercisePageFactory, free_text, stage
from assessments.models import Answer, Attempt
from certificates.models import Certificate, CertificateTemplate, CPDActivity
from certificates.services import certificate_pdf_bytes
from courses import services as course_services
from courses.factories import (
    CohortFactory,
    CohortSessionFactory,
    CourseIndexPageFactory,
    CoursePageFactory,
    EnrolmentFactory,
)
from courses.models import Enrolment, EnrolmentStatus, Payment
from tests.conftest import make_site_home, verified
from tests.content.helpers import make_group_member, make_superuser

from .hostile import CapturingRenderer, assert_escaped, assert_shown_escaped, email_payload, payload

RENDERER = "tests.security.hostile.CapturingRenderer"

# Every free-text field a learner fills, by number (the number is in its vector), with its form's max_length.
FULL_NAME = payload(1)
JOB_ROLE = payload(2)
ORGANISATION = payload(3)
OTHER_BODY = payload(4)
REGISTRATION = payload(5, max_length=50)
EMPLOYER = payload(6)
INVOICE_ORGANISATION = payload(7)
BILLING_CONTACT = payload(8)
BILLING_EMAIL = email_payload(9)
PURCHASE_ORDER = payload(10, max_length=100)
CPD_TITLE = payload(11)
CPD_PROVIDER = payload(12)
REFLECTIONS = {
    "reflection_what": payload(13, 10_000) + " what",
    "reflection_learned": payload(14, 10_000) + " learned",
    "reflection_practice": payload(15, 10_000) + " practice",
    "reflection_code": payload(16, 10_000) + " code",
}
ANSWER = payload(17, 10_000) + " Two versions of the policy were in use."
WAITING_NAME = payload(18)  # a second learner, on the waiting list

PROFILE_VALUES = [FULL_NAME, JOB_ROLE, ORGANISATION, OTHER_BODY, REGISTRATION]
INVOICE_VALUES = [INVOICE_ORGANISATION, BILLING_CONTACT, BILLING_EMAIL, PURCHASE_ORDER]


def dashboard(name, *args):
    return reverse(f"courses_cohort_dashboards:{name}", args=args)


def seen(response):
    """What a page served: kept as bytes, since test data is copied for each test and a response cannot be."""
    return response.status_code, response.content


def html_parts(message):
    return [content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"]


@override_settings(CERTIFICATES_RENDERER=RENDERER)
class HostileLearnerTestCase(TestCase):
    """One learner who put markup in everything, and the staff who read it."""

    @classmethod
    def setUpTestData(cls):
        CapturingRenderer.htmls = []
        # allauth keeps its rate limits in the cache: whether sign-up sends a confirmation must not depend on which
        # test signed up the same address before this one in the same process.
        cache.clear()
        # Pages seen only in passing (a step of enrolment, a message after a form, the queue before marking) are kept
        # here as they were served, with the values they must show.
        cls.passing = {}
        home = make_site_home()
        index = CourseIndexPageFactory(parent=home)
        cls.course = CoursePageFactory(parent=index, title="A systems approach", external_fee_pence=45000)
        today = timezone.localdate()
        cls.cohort = CohortFactory(
            course=cls.course,
            code="SYS-X",
            starts_on=today - datetime.timedelta(days=3),
            ends_on=today + datetime.timedelta(days=30),
            capacity=1,
        )
        cls.session = CohortSessionFactory(cohort=cls.cohort, date=today - datetime.timedelta(days=2))
        cls.lead = make_group_member("Course leads", "lead@example.org")
        cls.cohort.leads.add(cls.lead)
        cls.cohort.save()
        cls.admin = make_superuser("root@example.org")
        CertificateTemplate.objects.create(
            name="Programme certificate",
            organisation_name="National Patient Safety Investigations",
            signatory_name="Dr Helen Marsh",
            signatory_role="Director of Education",
        ).save_revision()
        cls.exercise = CaseExercisePageFactory(
            parent=cls.course, title="Anticoagulation withheld", stages=[stage("Only", [free_text(marks=4)])]
        )
        cls.exercise.save_revision().publish()
        cls.exercise.refresh_from_db()

        learner = Client()
        cls.sign_up(learner)
        cls.fill_profile(learner)
        cls.enrol(learner)
        cls.log_cpd(learner)
        cls.answer_exercise(learner)
        lead = Client()
        lead.force_login(cls.lead)
        cls.mark_and_sign_off(lead)
        cls.waiting = EnrolmentFactory(
            cohort=cls.cohort,
            user=UserFactory(full_name=WAITING_NAME, email="waiting@example.org"),
            status=EnrolmentStatus.WAITLISTED,
            confirmed_at=None,
            waitlisted_at=timezone.now(),
        )
        cls.passing["lead dashboard, with the waiting list"] = (
            seen(lead.get(dashboard("dashboard", cls.cohort.pk))),
            [WAITING_NAME],
        )
        promoted = lead.post(dashboard("waitlist_action", cls.cohort.pk, cls.waiting.pk, "promote"), follow=True)
        cls.passing["lead dashboard, after offering a place"] = (seen(promoted), [WAITING_NAME])
        cls.emails = list(mail.outbox)
        cls.pdf_htmls = list(CapturingRenderer.htmls)

    # The learner's journey, each step through the form a person fills -------------------------------------------------

    @classmethod
    def sign_up(cls, client):
        response = client.post(
            "/account/signup/",
            {
                "full_name": FULL_NAME,
                "email": "hostile@example.org",
                "password1": TEST_PASSWORD,
                "password2": TEST_PASSWORD,
            },
        )
        assert response.status_code == HTTPStatus.FOUND, response.content
        cls.learner = User.objects.get(email="hostile@example.org")
        assert cls.learner.full_name == FULL_NAME
        client.force_login(verified(cls.learner))

    @classmethod
    def fill_profile(cls, client):
        response = client.post(
            reverse("accounts:profile"),
            {
                "full_name": FULL_NAME,
                "job_role": JOB_ROLE,
                "organisation": ORGANISATION,
                "professional_body": "other",
                "professional_body_other": OTHER_BODY,
                "registration_number": REGISTRATION,
            },
        )
        assert response.status_code == HTTPStatus.FOUND, response.content

    @classmethod
    def enrol(cls, client):
        code = cls.cohort.code
        response = client.post(
            reverse("courses:enrol", args=[code]), {"works_for_nhs_england": "no", "employer": EMPLOYER}
        )
        assert response.status_code == HTTPStatus.FOUND, response.content
        cls.passing["enrolment: check your answers"] = (
            seen(client.get(reverse("courses:enrol_check", args=[code]))),
            [EMPLOYER],
        )
        response = client.post(
            reverse("courses:enrol_check", args=[code]),
            {
                "payment_method": "invoice",
                "organisation": INVOICE_ORGANISATION,
                "billing_contact": BILLING_CONTACT,
                "billing_email": BILLING_EMAIL,
                "purchase_order": PURCHASE_ORDER,
            },
        )
        assert response.status_code == HTTPStatus.FOUND, response.content
        cls.enrolment = Enrolment.objects.get(user=cls.learner)
        cls.payment = Payment.objects.get(enrolment=cls.enrolment)
        cls.passing["My learning, awaiting the invoice"] = (
            seen(client.get(reverse("courses:my_learning"))),
            [FULL_NAME, INVOICE_ORGANISATION, BILLING_CONTACT, PURCHASE_ORDER],
        )
        lead = Client()
        lead.force_login(cls.lead)
        cls.passing["lead dashboard, with the payment pending"] = (
            seen(lead.get(dashboard("dashboard", cls.cohort.pk))),
            [FULL_NAME, INVOICE_ORGANISATION, PURCHASE_ORDER],
        )
        with cls.captureOnCommitCallbacks(execute=True):
            course_services.invoice_mark_paid(payment=cls.payment, by_user=cls.admin)
        cls.enrolment.refresh_from_db()
        assert cls.enrolment.status == EnrolmentStatus.CONFIRMED

    @classmethod
    def log_cpd(cls, client):
        evidence = SimpleUploadedFile('"><img src=x onerror=alert(19)>.txt', b"Notes.", content_type="text/plain")
        today = timezone.localdate()
        response = client.post(
            reverse("certificates:cpd_activity_add"),
            {
                "title": CPD_TITLE,
                "provider": CPD_PROVIDER,
                "activity_type": "conference",
                "date_day": today.day,
                "date_month": today.month,
                "date_year": today.year,
                "hours": "1.5",
                "participatory": "yes",
                **REFLECTIONS,
                "evidence": evidence,
            },
            follow=True,
        )
        assert response.redirect_chain, response.content
        cls.passing["CPD record, with the message after logging"] = (seen(response), [CPD_TITLE])
        cls.activity = CPDActivity.objects.get(user=cls.learner)

    @classmethod
    def answer_exercise(cls, client):
        url = cls.exercise.url
        response = client.post(url + "start/")
        assert response.status_code == HTTPStatus.FOUND, response.content
        cls.attempt = Attempt.objects.get(user=cls.learner)
        [only] = cls.exercise.stages
        question = only.value["questions"][0]
        response = client.post(response.url, {"stage": only.id, f"q-{question.id}": ANSWER, "action": "submit"})
        assert response.status_code == HTTPStatus.FOUND, response.content
        cls.answer = Answer.objects.get(attempt=cls.attempt)
        assert cls.answer.response["text"] == ANSWER

    @classmethod
    def mark_and_sign_off(cls, lead):
        cls.passing["marking queue"] = (seen(lead.get("/admin/assessments/marking/")), [FULL_NAME])
        with cls.captureOnCommitCallbacks(execute=True):
            response = lead.post(
                reverse("assessments_marking:mark", args=[cls.attempt.pk]),
                {f"score_{cls.answer.pk}": "3", f"feedback_{cls.answer.pk}": "A clear account of the conditions."},
            )
        assert response.status_code == HTTPStatus.FOUND, response.content
        refused = lead.post(
            dashboard("sign_off", cls.cohort.pk), {"enrolments": [cls.enrolment.pk], "outcome": "completed"}
        )
        cls.passing["sign-off, refused with the names of who does not meet the rule"] = (seen(refused), [FULL_NAME])
        with cls.captureOnCommitCallbacks(execute=True):
            response = lead.post(
                dashboard("sign_off", cls.cohort.pk),
                {
                    "enrolments": [cls.enrolment.pk],
                    "outcome": "completed",
                    "override_reason": "Attended the catch-up session.",
                },
                follow=True,
            )
        cls.passing["lead dashboard, after sign-off"] = (seen(response), [FULL_NAME])
        cls.certificate = Certificate.objects.get(user=cls.learner)

    # Reading ----------------------------------------------------------------------------------------------------------

    def read(self, client, url, values, *, where=None):
        response = client.get(url)
        self.assertEqual(response.status_code, HTTPStatus.OK, url)
        assert_shown_escaped(response.content, values, where=where or url)
        return response

    def signed_in(self, user):
        client = Client()
        client.force_login(user)
        return client


class TestTheLearnersOwnPages(HostileLearnerTestCase):
    def test_every_value_was_stored_as_typed(self):
        profile = self.learner.profile
        self.assertEqual(
            [profile.job_role, profile.organisation, profile.professional_body_other, profile.registration_number],
            [JOB_ROLE, ORGANISATION, OTHER_BODY, REGISTRATION],
        )
        self.assertEqual(self.enrolment.employer, EMPLOYER)
        self.assertEqual(
            [self.payment.organisation, self.payment.billing_contact, self.payment.purchase_order],
            [INVOICE_ORGANISATION, BILLING_CONTACT, PURCHASE_ORDER],
        )
        self.assertEqual(self.activity.title, CPD_TITLE)
        self.assertEqual(self.activity.reflection_code, REFLECTIONS["reflection_code"])
        self.assertEqual(self.certificate.learner_name, FULL_NAME)

    def test_pages_seen_along_the_way(self):
        for where, ((status, content), values) in self.passing.items():
            with self.subTest(where=where):
                self.assertLess(status, HTTPStatus.INTERNAL_SERVER_ERROR)
                assert_shown_escaped(content, values, where=where)

    def test_profile_my_learning_and_receipt(self):
        client = self.signed_in(self.learner)
        self.read(client, reverse("accounts:profile"), PROFILE_VALUES)
        self.read(client, reverse("courses:my_learning"), [FULL_NAME])
        self.read(client, reverse("courses:receipt", args=[self.payment.pk]), [FULL_NAME, INVOICE_ORGANISATION])

    def test_cpd_record_activity_form_and_delete_page(self):
        client = self.signed_in(self.learner)
        self.read(client, reverse("certificates:cpd_record"), [CPD_TITLE, CPD_PROVIDER])
        self.read(
            client,
            reverse("certificates:cpd_activity_edit", args=[self.activity.pk]),
            [CPD_TITLE, CPD_PROVIDER, *REFLECTIONS.values()],
        )
        self.read(client, reverse("certificates:cpd_activity_delete", args=[self.activity.pk]), [CPD_TITLE])

    def test_cpd_record_pdf_is_drawn_from_escaped_html(self):
        CapturingRenderer.htmls = []
        response = self.signed_in(self.learner).get(reverse("certificates:cpd_export_pdf"))
        self.assertEqual(response.status_code, HTTPStatus.OK)
        [html] = CapturingRenderer.htmls
        assert_shown_escaped(html, [FULL_NAME, CPD_TITLE, CPD_PROVIDER, *REFLECTIONS.values()], where="CPD PDF")

    def test_your_data_page_and_its_download(self):
        everything = [*PROFILE_VALUES, EMPLOYER, INVOICE_ORGANISATION, CPD_TITLE, *REFLECTIONS.values()]
        client = self.signed_in(self.learner)
        self.read(client, reverse("accounts:your_data"), everything)
        # The download is a web page the learner opens from their disk, where no Content Security Policy protects it.
        self.read(client, reverse("accounts:your_data") + "?download=html", everything, where="your data download")

    def test_exercise_review_with_the_answer_and_its_feedback(self):
        url = self.exercise.url + self.exercise.reverse_subpage("attempt", args=[self.attempt.pk])
        self.read(self.signed_in(self.learner), url, [ANSWER, "A clear account of the conditions."])


class TestWhatOthersSee(HostileLearnerTestCase):
    def test_public_verification_page_and_certificate_pdf(self):
        self.read(Client(), reverse("certificates:verify", args=[self.certificate.code]), [FULL_NAME])
        CapturingRenderer.htmls = []
        certificate_pdf_bytes(certificate=self.certificate)
        [html] = CapturingRenderer.htmls
        assert_shown_escaped(html, [FULL_NAME], where="certificate PDF")
        self.assertTrue(self.pdf_htmls, "the certificate PDF was drawn on sign-off")
        for html in self.pdf_htmls:
            assert_escaped(html, where="PDF drawn on sign-off")

    def test_the_course_leads_dashboard_register_sign_off_and_marking(self):
        client = self.signed_in(self.lead)
        cohort = self.cohort.pk
        self.read(client, dashboard("dashboard", cohort), [FULL_NAME, ORGANISATION, JOB_ROLE, REGISTRATION, OTHER_BODY])
        self.read(client, dashboard("register", cohort, self.session.pk), [FULL_NAME])
        self.read(client, dashboard("sign_off", cohort), [FULL_NAME])
        self.read(client, reverse("assessments_marking:mark", args=[self.attempt.pk]), [FULL_NAME, ANSWER])

    def test_admin_listings_and_records(self):
        client = self.signed_in(self.admin)
        self.read(client, "/admin/courses/enrolments/", [FULL_NAME])
        self.read(client, f"/admin/courses/enrolments/inspect/{self.enrolment.pk}/", [FULL_NAME, EMPLOYER])
        self.read(client, "/admin/courses/payments/", [INVOICE_ORGANISATION])
        self.read(client, f"/admin/courses/payments/inspect/{self.payment.pk}/", [FULL_NAME, *INVOICE_VALUES])
        self.read(client, "/admin/certificates/issued/", [FULL_NAME])
        self.read(client, "/admin/users/", [FULL_NAME])

    def test_search_boxes_that_echo_a_query(self):
        vector = payload(20)
        client = self.signed_in(self.admin)
        for url in [
            "/admin/courses/enrolments/?q=",
            "/admin/courses/payments/?q=",
            "/admin/certificates/issued/?q=",
        ]:
            with self.subTest(url=url):
                self.read(client, url + quote(vector), [vector])
        self.read(Client(), "/search/?q=" + quote(vector), [vector])
        response = Client().get(reverse("certificates:verify_form") + "?code=" + quote(payload(21, 30)))
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        assert_shown_escaped(response.content, [payload(21, 30)], where="verification lookup")

    def test_emails_html_parts(self):
        self.assertTrue(self.emails)
        # Ours, that is: allauth's own account emails (its subject prefix) are plain text.
        to_learner = [
            message
            for message in self.emails
            if message.to == [self.learner.email]
            and not message.subject.startswith(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX)
        ]
        kinds = {message.subject.split(":")[0] for message in to_learner}
        self.assertTrue({"We have your invoice request", "Your marks are ready"} <= kinds, kinds)
        for message in self.emails:
            for html in html_parts(message):
                with self.subTest(subject=message.subject, to=message.to):
                    assert_escaped(html, where=message.subject)
        for message in to_learner:
            [html] = html_parts(message)
            with self.subTest(subject=message.subject):
                values = [FULL_NAME]
                if message.subject.startswith("We have your invoice request"):
                    values += INVOICE_VALUES
                assert_shown_escaped(html, values, where=message.subject)
                # The text part is for reading, not a browser: it keeps what the learner typed, unmangled.
                self.assertIn(FULL_NAME, message.body)
