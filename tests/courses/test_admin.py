"""The course administrators' admin: cohorts, enrolments and payments, their exports and actions, and who may use them."""

import csv
import datetime
import html
import io
from http import HTTPStatus

from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from wagtail import hooks
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from openpyxl import load_workbook

from accounts.factories import UserFactory
from courses.factories import (
    CohortFactory,
    CohortSessionFactory,
    CourseIndexPageFactory,
    CoursePageFactory,
    EnrolmentFactory,
)
from courses.models import (
    Cohort,
    EligibilitySettings,
    Enrolment,
    EnrolmentStatus,
    FeeBand,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from tests.conftest import make_site_home
from tests.content.helpers import make_group_member, make_superuser

FEE = 45000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def url(name, *args):
    return reverse(f"courses_{name}", args=args)


def messages_of(response):
    """The admin messages queued by the response, as (level, text) with the admin's markup taken off."""
    return [
        (message.level_tag, html.unescape(str(message.message)).strip())
        for message in get_messages(response.wsgi_request)
    ]


def settings_url():
    return reverse("wagtailsettings:edit", args=["courses", "eligibilitysettings", EligibilitySettings.load().pk])


def external(cohort, name, **fields):
    user = UserFactory(full_name=name, email=f"{name.lower().replace(' ', '.')}@example.com")
    defaults = {
        "fee_band": FeeBand.EXTERNAL,
        "fee_pence": FEE,
        "employer": "Harbour Independent Clinic",
        "status": EnrolmentStatus.CONFIRMED,
    }
    return EnrolmentFactory(user=user, cohort=cohort, **{**defaults, **fields})


def invoice(enrolment, **fields):
    defaults = {
        "method": PaymentMethod.INVOICE,
        "amount_pence": enrolment.fee_pence,
        "organisation": "Harbour Independent Clinic",
        "billing_contact": "Accounts payable",
        "billing_email": "accounts@example.com",
        "purchase_order": "PO-1234",
    }
    return Payment.objects.create(enrolment=enrolment, **{**defaults, **fields})


class CoursesAdminTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        home = make_site_home()
        index = CourseIndexPageFactory(parent=home)
        cls.course = CoursePageFactory(parent=index, title="Systems approach", external_fee_pence=FEE)
        cls.other_course = CoursePageFactory(parent=index, title="Human factors", external_fee_pence=15000)
        cls.cohort = CohortFactory(course=cls.course, code="SYS-01", capacity=20)
        cls.full = CohortFactory(course=cls.course, code="SYS-02", capacity=2)
        cls.other = CohortFactory(course=cls.other_course, code="HFE-01", capacity=10)
        for cohort in [cls.cohort, cls.full]:
            CohortSessionFactory(cohort=cohort, title="Module 1", sort_order=0)
            CohortSessionFactory(cohort=cohort, title="Module 2", sort_order=1)

        cls.aisha = external(cls.cohort, "Aisha Rahman")
        cls.tom = external(
            cls.cohort, "Tom Whitfield", status=EnrolmentStatus.AWAITING_PAYMENT, employer="Glenview Care"
        )
        cls.tom_invoice = invoice(cls.tom, organisation="Glenview Care", purchase_order="PO-77")
        cls.priya = EnrolmentFactory(
            cohort=cls.cohort,
            user=UserFactory(full_name="Priya Shah", email="priya.shah@nhs.net"),
            employer="Northfield Hospitals NHS Foundation Trust",
        )
        cls.hfe = external(cls.other, "Hannah Scott", fee_pence=15000)
        now = timezone.now()
        cls.seated = [external(cls.full, "Daniel Price"), external(cls.full, "Mei Lin")]
        cls.waiting = [
            external(
                cls.full,
                "Owen Hughes",
                status=EnrolmentStatus.WAITLISTED,
                waitlisted_at=now - datetime.timedelta(days=2),
                confirmed_at=None,
            ),
            external(
                cls.full,
                "Fatima Begum",
                status=EnrolmentStatus.WAITLISTED,
                waitlisted_at=now - datetime.timedelta(days=1),
                confirmed_at=None,
            ),
        ]
        cls.superuser = make_superuser()

    def setUp(self):
        self.client.force_login(self.superuser)

    def fresh(self, obj):
        obj.refresh_from_db()
        return obj


class TestAdminPagesRender(CoursesAdminTestCase):
    def test_every_courses_admin_page_renders_for_a_superuser(self):
        paid = invoice(self.aisha, status=PaymentStatus.PAID, receipt_number="RCP-2026-000900")
        pages = [
            reverse("wagtailadmin_home"),
            url("cohorts:index"),
            url("cohorts:add"),
            url("cohorts:edit", self.cohort.pk),
            url("cohorts:delete", self.other.pk),
            url("enrolments:index"),
            url("enrolments:inspect", self.tom.pk),
            url("enrolments:history", self.tom.pk),
            url("enrolments:override_band", self.tom.pk),
            url("enrolments:cancel", self.tom.pk),
            url("enrolments:transfer", self.tom.pk),
            url("payments:index"),
            url("payments:inspect", self.tom_invoice.pk),
            url("payments:inspect", paid.pk),
            url("payments:mark_paid", self.tom_invoice.pk),
            url("pages:index"),
            settings_url(),
            reverse("wagtailusers_groups:edit", args=[Group.objects.get(name="Course administrators").pk]),
        ]
        for page in pages:
            with self.subTest(page=page):
                response = self.client.get(page, follow=True)
                self.assertEqual(response.status_code, HTTPStatus.OK)

    def test_the_group_editor_offers_only_the_enrolment_and_payment_permissions_that_mean_something(self):
        url("enrolments:index")  # viewsets register their permissions when the admin's URLs load
        registered = set()
        for fn in hooks.get_hooks("register_permissions"):
            registered |= set(fn().filter(content_type__app_label="courses").values_list("codename", flat=True))

        self.assertLessEqual({"view_enrolment", "change_enrolment", "view_payment", "change_payment"}, registered)
        self.assertLessEqual({"add_cohort", "change_cohort", "delete_cohort", "change_eligibilitysettings"}, registered)
        self.assertFalse({"add_enrolment", "delete_enrolment", "add_payment", "delete_payment"} & registered)

    def test_the_courses_menu_groups_cohorts_enrolments_and_payments(self):
        response = self.client.get(reverse("wagtailadmin_home"))

        content = response.content.decode()
        for link in [url("cohorts:index"), url("enrolments:index"), url("payments:index")]:
            self.assertIn(link, content)

    def test_enrolments_and_payments_cannot_be_added_edited_or_deleted_by_hand(self):
        for name, args in [
            ("enrolments:add", []),
            ("enrolments:edit", [1]),
            ("enrolments:delete", [1]),
            ("payments:add", []),
            ("payments:edit", [1]),
        ]:
            with self.subTest(name=name), self.assertRaises(NoReverseMatch):
                url(name, *args)
        response = self.client.get(url("enrolments:index"))
        self.assertNotContains(response, "Add enrolment")

    def test_the_enrolment_page_shows_the_band_its_reason_and_the_payments(self):
        response = self.client.get(url("enrolments:inspect", self.tom.pk))

        self.assertContains(response, "Tom Whitfield")
        self.assertContains(response, "£450.00")
        self.assertContains(response, "Glenview Care")
        self.assertContains(response, url("payments:inspect", self.tom_invoice.pk))
        for action in ["override_band", "cancel", "transfer"]:
            self.assertContains(response, url(f"enrolments:{action}", self.tom.pk))

    def test_the_cohort_list_shows_places_left_and_the_waiting_list(self):
        response = self.client.get(url("cohorts:index"))

        rows = {cohort.code: cohort for cohort in response.context["object_list"]}
        self.assertEqual(rows["SYS-01"].capacity - rows["SYS-01"].seats_taken, 17)
        self.assertEqual(rows["SYS-02"].capacity - rows["SYS-02"].seats_taken, 0)
        self.assertEqual(rows["SYS-02"].waiting, 2)
        self.assertContains(response, "Places left")

    def test_cohorts_can_be_searched_by_code_and_filtered_by_course(self):
        response = self.client.get(url("cohorts:index"), {"q": "hfe"})
        self.assertEqual([c.code for c in response.context["object_list"]], ["HFE-01"])

        response = self.client.get(url("cohorts:index"), {"course": self.course.pk})
        self.assertEqual({c.code for c in response.context["object_list"]}, {"SYS-01", "SYS-02"})

    def test_cohort_export_has_places_left(self):
        response = self.client.get(url("cohorts:index"), {"export": "csv"})

        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        self.assertEqual(rows[0][:3], ["Code", "Course", "Starts on"])
        by_code = {row[0]: row for row in rows[1:]}
        self.assertEqual(by_code["SYS-02"][5:], ["0", "2"])


class TestEnrolmentListing(CoursesAdminTestCase):
    def listed(self, **params):
        response = self.client.get(url("enrolments:index"), params)
        self.assertEqual(response.status_code, HTTPStatus.OK)
        return {enrolment.user.full_name for enrolment in response.context["object_list"]}

    def test_filters_by_status_band_cohort_and_course(self):
        self.assertEqual(self.listed(status="waitlisted"), {"Owen Hughes", "Fatima Begum"})
        self.assertEqual(self.listed(fee_band="free"), {"Priya Shah"})
        self.assertEqual(self.listed(cohort=self.full.pk), {"Daniel Price", "Mei Lin", "Owen Hughes", "Fatima Begum"})
        self.assertEqual(self.listed(cohort__course=self.other_course.pk), {"Hannah Scott"})
        self.assertEqual(self.listed(cohort=self.cohort.pk, status="awaiting_payment"), {"Tom Whitfield"})

    def test_searches_by_learner_name_or_email(self):
        self.assertEqual(self.listed(q="whitfield"), {"Tom Whitfield"})
        self.assertEqual(self.listed(q="priya.shah@nhs"), {"Priya Shah"})

    def test_shows_learner_email_cohort_status_band_and_fee(self):
        response = self.client.get(url("enrolments:index"), {"q": "Tom"})

        for text in [
            "Tom Whitfield",
            "tom.whitfield@example.com",
            "SYS-01",
            "Awaiting payment",
            "External fee",
            "£450.00",
        ]:
            self.assertContains(response, text)

    def test_is_paginated_and_its_queries_do_not_grow_with_the_rows(self):
        def queries():
            with CaptureQueriesContext(connection) as captured:
                response = self.client.get(url("enrolments:index"))
            self.assertTrue(response.context["is_paginated"])
            return len(captured)

        queries()  # the first request fills per-process caches (content types, settings)
        before = queries()
        for n in range(60):
            external(self.cohort, f"Extra Learner {n}")
        after = queries()

        self.assertEqual(before, after)
        response = self.client.get(url("enrolments:index"))
        self.assertEqual(len(response.context["object_list"]), 50)
        self.assertEqual(response.context["items_count"], Enrolment.objects.count())

    def test_cohort_and_payment_lists_do_not_grow_in_queries_either(self):
        def queries(page):
            with CaptureQueriesContext(connection) as captured:
                self.assertEqual(self.client.get(page).status_code, HTTPStatus.OK)
            return len(captured)

        pages = [url("cohorts:index"), url("payments:index")]
        for page in pages:
            queries(page)
        before = [queries(page) for page in pages]
        for n in range(5):
            course = CoursePageFactory(parent=self.course.get_parent(), title=f"Course {n}")
            cohort = CohortFactory(course=course, code=f"EXTRA-{n}")
            invoice(external(cohort, f"Extra Learner {n}"))
        self.assertEqual([queries(page) for page in pages], before)

    def test_csv_export_has_one_row_per_filtered_enrolment(self):
        response = self.client.get(url("enrolments:index"), {"export": "csv", "cohort": self.cohort.pk})

        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(response["Content-Type"], "text/csv")
        self.assertIn("enrolments.csv", response["Content-Disposition"])
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        self.assertEqual(
            rows[0], ["Learner name", "Email", "Employer", "Cohort", "Status", "Fee band", "Fee (£)", "Created"]
        )
        by_name = {row[0]: row for row in rows[1:]}
        self.assertEqual(set(by_name), {"Aisha Rahman", "Tom Whitfield", "Priya Shah"})
        created = timezone.localtime(self.tom.created_at).strftime("%Y-%m-%d %H:%M")
        self.assertEqual(
            by_name["Tom Whitfield"],
            [
                "Tom Whitfield",
                "tom.whitfield@example.com",
                "Glenview Care",
                "SYS-01",
                "Awaiting payment",
                "External fee",
                "450.00",
                created,
            ],
        )
        self.assertEqual(by_name["Priya Shah"][5:7], ["Free (NHS staff in England)", "0.00"])

    def test_csv_export_follows_the_search(self):
        response = self.client.get(url("enrolments:index"), {"export": "csv", "q": "begum"})

        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        self.assertEqual([row[0] for row in rows[1:]], ["Fatima Begum"])

    def test_xlsx_export(self):
        response = self.client.get(url("enrolments:index"), {"export": "xlsx", "status": "waitlisted"})

        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(response["Content-Type"], XLSX)
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        rows = list(sheet.values)
        self.assertEqual(rows[0][0], "Learner name")
        self.assertEqual({row[0] for row in rows[1:]}, {"Owen Hughes", "Fatima Begum"})
        self.assertEqual(float(rows[1][6]), 450.0)


class TestFeeBandOverride(CoursesAdminTestCase):
    def test_override_with_a_reason_records_who_and_why(self):
        response = self.client.post(
            url("enrolments:override_band", self.tom.pk),
            {"band": FeeBand.FREE, "reason": "  Seconded to NHS England; agreed by the course team.  "},
        )

        self.assertRedirects(response, url("enrolments:inspect", self.tom.pk))
        tom = self.fresh(self.tom)
        self.assertEqual((tom.fee_band, tom.fee_pence), (FeeBand.FREE, 0))
        self.assertEqual(tom.band_override_reason, "Seconded to NHS England; agreed by the course team.")
        self.assertEqual(tom.band_overridden_by, self.superuser)
        self.assertIsNotNone(tom.band_overridden_at)
        # A place held for payment that becomes free is confirmed, and its pending invoice is cancelled.
        self.assertEqual(tom.status, EnrolmentStatus.CONFIRMED)
        self.assertEqual(self.fresh(self.tom_invoice).status, PaymentStatus.CANCELLED)
        self.assertIn(
            ("success", "Fee band for Tom Whitfield is now 'Free (NHS staff in England)' (£0.00)."),
            messages_of(response),
        )
        page = self.client.get(url("enrolments:inspect", self.tom.pk))
        self.assertContains(page, "Seconded to NHS England; agreed by the course team.")
        history = self.client.get(url("enrolments:history", self.tom.pk))
        self.assertContains(history, "Fee band overridden")

    def test_admin_forms_keep_wagtails_own_widgets(self):
        """NHS.UK widget templates are for the public site; the admin's radio buttons stay Wagtail's."""
        response = self.client.get(url("enrolments:override_band", self.tom.pk))

        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertContains(response, 'type="radio"')
        self.assertNotContains(response, "nhsuk-radios")

    def test_override_without_a_reason_is_refused_and_changes_nothing(self):
        for reason in ["", "   "]:
            with self.subTest(reason=reason):
                response = self.client.post(
                    url("enrolments:override_band", self.tom.pk), {"band": FeeBand.FREE, "reason": reason}
                )

                self.assertEqual(response.status_code, HTTPStatus.OK)
                self.assertEqual(messages_of(response), [("error", "Nothing was changed: correct the errors below.")])
                self.assertContains(response, "This field is required.")
                tom = self.fresh(self.tom)
                self.assertEqual(
                    (tom.fee_band, tom.fee_pence, tom.status), (FeeBand.EXTERNAL, FEE, EnrolmentStatus.AWAITING_PAYMENT)
                )
                self.assertEqual((tom.band_override_reason, tom.band_overridden_by), ("", None))

    def test_override_to_the_external_band_sets_the_course_fee(self):
        self.client.post(
            url("enrolments:override_band", self.priya.pk),
            {"band": FeeBand.EXTERNAL, "reason": "Not NHS England staff."},
        )

        priya = self.fresh(self.priya)
        self.assertEqual((priya.fee_band, priya.fee_pence), (FeeBand.EXTERNAL, FEE))


class TestInvoiceMarkPaid(CoursesAdminTestCase):
    def test_marking_an_invoice_paid_confirms_the_place_and_issues_a_receipt(self):
        response = self.client.post(url("payments:mark_paid", self.tom_invoice.pk))

        self.assertRedirects(response, url("payments:inspect", self.tom_invoice.pk))
        payment = self.fresh(self.tom_invoice)
        self.assertEqual(payment.status, PaymentStatus.PAID)
        self.assertRegex(payment.receipt_number, r"^RCP-\d{4}-\d{6}$")
        self.assertEqual(payment.marked_paid_by, self.superuser)
        self.assertIsNotNone(payment.paid_at)
        self.assertEqual(self.fresh(self.tom).status, EnrolmentStatus.CONFIRMED)
        [(level, text)] = messages_of(response)
        self.assertEqual(level, "success")
        self.assertIn(payment.receipt_number, text)

    def test_a_paid_invoice_is_not_paid_twice(self):
        self.client.post(url("payments:mark_paid", self.tom_invoice.pk), follow=True)
        receipt = self.fresh(self.tom_invoice).receipt_number

        response = self.client.post(url("payments:mark_paid", self.tom_invoice.pk))

        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(messages_of(response), [("error", f"This invoice is already paid (receipt {receipt}).")])
        self.assertEqual(self.fresh(self.tom_invoice).receipt_number, receipt)

    def test_a_card_payment_cannot_be_marked_paid_by_hand(self):
        card = Payment.objects.create(enrolment=self.aisha, method=PaymentMethod.CARD, amount_pence=FEE)

        response = self.client.post(url("payments:mark_paid", card.pk))

        self.assertEqual(messages_of(response), [("error", "Only invoices are marked paid by hand.")])
        self.assertEqual(self.fresh(card).status, PaymentStatus.PENDING)
        self.assertIsNone(self.fresh(card).receipt_number)

    def test_the_action_needs_a_post(self):
        response = self.client.get(url("payments:mark_paid", self.tom_invoice.pk))

        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(self.fresh(self.tom_invoice).status, PaymentStatus.PENDING)

    def test_the_action_needs_the_csrf_token(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.superuser)

        response = client.post(url("payments:mark_paid", self.tom_invoice.pk))

        self.assertEqual(response.status_code, HTTPStatus.FORBIDDEN)
        self.assertEqual(self.fresh(self.tom_invoice).status, PaymentStatus.PENDING)

    def test_refunds_show_on_the_payments_list(self):
        invoice(
            self.aisha,
            method=PaymentMethod.CARD,
            status=PaymentStatus.REFUNDED,
            refunded_pence=FEE,
            refunded_at=timezone.now(),
            receipt_number="RCP-2026-000901",
        )

        response = self.client.get(url("payments:index"), {"refunded": "true"})

        self.assertEqual([p.receipt_number for p in response.context["object_list"]], ["RCP-2026-000901"])
        self.assertContains(response, "£450.00")
        response = self.client.get(url("payments:index"), {"method": "invoice", "status": "pending"})
        self.assertEqual([p.pk for p in response.context["object_list"]], [self.tom_invoice.pk])

    def test_payments_export(self):
        response = self.client.get(url("payments:index"), {"export": "csv"})

        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        self.assertEqual(rows[0][:6], ["Learner name", "Email", "Cohort", "Method", "Status", "Amount (£)"])
        self.assertEqual(
            rows[1][:6],
            ["Tom Whitfield", "tom.whitfield@example.com", "SYS-01", "Invoice to my organisation", "Pending", "450.00"],
        )
        response = self.client.get(url("payments:index"), {"export": "xlsx"})
        self.assertEqual(response["Content-Type"], XLSX)


class TestCancelAndTransfer(CoursesAdminTestCase):
    def test_cancelling_a_seat_offers_it_to_the_first_waiting(self):
        response = self.client.post(url("enrolments:cancel", self.seated[0].pk))

        self.assertRedirects(response, url("enrolments:inspect", self.seated[0].pk))
        self.assertEqual(self.fresh(self.seated[0]).status, EnrolmentStatus.CANCELLED)
        self.assertEqual(self.fresh(self.waiting[0]).status, EnrolmentStatus.OFFERED)
        self.assertEqual(self.fresh(self.waiting[1]).status, EnrolmentStatus.WAITLISTED)
        self.assertEqual(messages_of(response)[0][0], "success")

    def test_cancelling_twice_is_refused(self):
        self.client.post(url("enrolments:cancel", self.aisha.pk), follow=True)
        ended_at = self.fresh(self.aisha).ended_at

        response = self.client.post(url("enrolments:cancel", self.aisha.pk))

        self.assertEqual(messages_of(response), [("error", "Only an open enrolment can be cancelled.")])
        self.assertEqual(self.fresh(self.aisha).ended_at, ended_at)

    def test_transfer_to_another_cohort_of_the_same_course_keeps_the_payment(self):
        response = self.client.post(url("enrolments:transfer", self.tom.pk), {"to_cohort": self.full.pk + 0})
        # The full cohort has no seat: refused, nothing changed.
        self.assertEqual(messages_of(response), [("error", "Sorry, that cohort has no places left.")])
        self.assertEqual(self.fresh(self.tom).status, EnrolmentStatus.AWAITING_PAYMENT)

        spare = CohortFactory(course=self.course, code="SYS-09", capacity=5)
        response = self.client.post(url("enrolments:transfer", self.tom.pk), {"to_cohort": spare.pk})

        moved = Enrolment.objects.get(cohort=spare, user=self.tom.user)
        self.assertRedirects(response, url("enrolments:inspect", moved.pk))
        self.assertEqual(moved.status, EnrolmentStatus.AWAITING_PAYMENT)
        self.assertEqual(moved.transferred_from, self.tom)
        self.assertEqual(self.fresh(self.tom).status, EnrolmentStatus.CANCELLED)
        self.assertEqual(self.fresh(self.tom_invoice).enrolment, moved)

    def test_transfer_offers_only_cohorts_of_the_same_course(self):
        response = self.client.get(url("enrolments:transfer", self.tom.pk))

        choices = [str(value) for value, _label in response.context["form"].fields["to_cohort"].choices]
        self.assertEqual(choices, [str(self.full.pk)])
        response = self.client.post(url("enrolments:transfer", self.tom.pk), {"to_cohort": self.other.pk})
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(self.fresh(self.tom).cohort, self.cohort)


class TestCohortEditing(CoursesAdminTestCase):
    def cohort_form(self, cohort, **changes):
        local = timezone.localtime
        data = {
            "course": cohort.course.pk,
            "code": cohort.code,
            "starts_on": cohort.starts_on.isoformat(),
            "ends_on": cohort.ends_on.isoformat(),
            "enrolment_opens_at": local(cohort.enrolment_opens_at).strftime("%Y-%m-%d %H:%M"),
            "enrolment_closes_at": local(cohort.enrolment_closes_at).strftime("%Y-%m-%d %H:%M"),
            "capacity": cohort.capacity,
            "joining_instructions": cohort.joining_instructions,
            "joining_link": cohort.joining_link,
            "sessions": inline_formset(
                [
                    {
                        "id": session.pk,
                        "title": session.title,
                        "date": session.date.isoformat(),
                        "start_time": session.start_time.strftime("%H:%M"),
                        "end_time": session.end_time.strftime("%H:%M"),
                        "ORDER": str(number),
                    }
                    for number, session in enumerate(cohort.sessions.all(), 1)
                ],
                initial=cohort.sessions.count(),
            ),
            **changes,
        }
        return nested_form_data(data)

    def test_raising_capacity_offers_the_new_places_to_the_waiting_list(self):
        response = self.client.post(url("cohorts:edit", self.full.pk), self.cohort_form(self.full, capacity=3))

        self.assertRedirects(response, url("cohorts:index"))
        self.assertEqual(self.fresh(self.full).capacity, 3)
        self.assertEqual(self.fresh(self.waiting[0]).status, EnrolmentStatus.OFFERED)
        self.assertIsNotNone(self.fresh(self.waiting[0]).offer_expires_at)
        self.assertEqual(self.fresh(self.waiting[1]).status, EnrolmentStatus.WAITLISTED)
        self.assertIn(
            ("success", "1 place was offered to the next learner on the waiting list."), messages_of(response)
        )

    def test_capacity_cannot_drop_below_the_places_taken(self):
        response = self.client.post(url("cohorts:edit", self.full.pk), self.cohort_form(self.full, capacity=1))

        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertContains(response, "2 places are already taken or held")
        self.assertEqual(self.fresh(self.full).capacity, 2)

    def test_sessions_are_edited_with_the_cohort(self):
        data = self.cohort_form(self.cohort)
        data.update(
            {
                "sessions-TOTAL_FORMS": "3",
                "sessions-2-id": "",
                "sessions-2-title": "Module 3",
                "sessions-2-date": self.cohort.starts_on.isoformat(),
                "sessions-2-start_time": "13:30",
                "sessions-2-end_time": "16:30",
                "sessions-2-ORDER": "3",
                "sessions-2-DELETE": "",
            }
        )

        response = self.client.post(url("cohorts:edit", self.cohort.pk), data)

        self.assertRedirects(response, url("cohorts:index"))
        self.assertEqual(
            list(self.cohort.sessions.values_list("title", flat=True)), ["Module 1", "Module 2", "Module 3"]
        )


class TestCohortDeletion(CoursesAdminTestCase):
    def test_a_cohort_with_enrolments_is_kept(self):
        page = self.client.get(url("cohorts:delete", self.full.pk))
        self.assertContains(page, "This cohort has 4 enrolment records, so it cannot be deleted.")
        self.assertNotContains(page, "Yes, delete")

        response = self.client.post(url("cohorts:delete", self.full.pk))

        self.assertRedirects(response, url("cohorts:index"), fetch_redirect_response=False)
        self.assertIn(("error", "This cohort has enrolments, so it cannot be deleted."), messages_of(response))
        self.assertTrue(Cohort.objects.filter(pk=self.full.pk).exists())

    def test_an_empty_cohort_can_be_deleted_with_its_sessions(self):
        empty = CohortFactory(course=self.course, code="SYS-99")
        CohortSessionFactory(cohort=empty)

        response = self.client.post(url("cohorts:delete", empty.pk))

        self.assertRedirects(response, url("cohorts:index"), fetch_redirect_response=False)
        self.assertFalse(Cohort.objects.filter(pk=empty.pk).exists())


class TestPermissions(TestCase):
    @classmethod
    def setUpTestData(cls):
        home = make_site_home()
        course = CoursePageFactory(parent=CourseIndexPageFactory(parent=home))
        cls.cohort = CohortFactory(course=course, code="SYS-01")
        cls.enrolment = external(cls.cohort, "Tom Whitfield", status=EnrolmentStatus.AWAITING_PAYMENT)
        cls.payment = invoice(cls.enrolment)
        cls.administrator = make_group_member("Course administrators", "course.admin@example.org")
        cls.editor = make_group_member("Editors", "editor@example.org")
        cls.lead = make_group_member("Course leads", "course.lead@example.org")

    def pages(self):
        return [
            url("cohorts:index"),
            url("cohorts:add"),
            url("cohorts:edit", self.cohort.pk),
            url("enrolments:index"),
            url("enrolments:inspect", self.enrolment.pk),
            url("enrolments:override_band", self.enrolment.pk),
            url("enrolments:cancel", self.enrolment.pk),
            url("enrolments:transfer", self.enrolment.pk),
            url("payments:index"),
            url("payments:inspect", self.payment.pk),
            url("payments:mark_paid", self.payment.pk),
            settings_url(),
        ]

    def assertDenied(self, response):
        """Wagtail answers a missing permission by sending the person to the admin home with an error, not a 403."""
        self.assertRedirects(response, reverse("wagtailadmin_home"), fetch_redirect_response=False)
        self.assertIn(("error", "Sorry, you do not have permission to access this area."), messages_of(response))

    def test_the_migration_gives_course_administrators_their_permissions(self):
        codenames = set(Group.objects.get(name="Course administrators").permissions.values_list("codename", flat=True))

        self.assertLessEqual(
            {
                "access_admin",
                *[f"{action}_cohort" for action in ("add", "change", "view", "delete")],
                *[f"{action}_cohortsession" for action in ("add", "change", "view", "delete")],
                "view_enrolment",
                "change_enrolment",
                "view_payment",
                "change_payment",
                "change_eligibilitysettings",
            },
            codenames,
        )
        self.assertNotIn("add_enrolment", codenames)
        self.assertNotIn("delete_payment", codenames)

    def test_a_course_administrator_can_reach_every_courses_page(self):
        self.client.force_login(self.administrator)
        for page in self.pages():
            with self.subTest(page=page):
                self.assertEqual(self.client.get(page).status_code, HTTPStatus.OK)
        menu = self.client.get(reverse("wagtailadmin_home")).content.decode()
        self.assertIn(url("cohorts:index"), menu)

    def test_a_course_administrator_can_act(self):
        self.client.force_login(self.administrator)

        self.client.post(url("payments:mark_paid", self.payment.pk))
        self.payment.refresh_from_db()
        self.assertEqual((self.payment.status, self.payment.marked_paid_by), (PaymentStatus.PAID, self.administrator))

        response = self.client.post(
            settings_url(),
            {"allowed_domains": "nhs.net\n*.nhs.uk\nexample.nhs.test", "excluded_domains": "wales.nhs.uk"},
        )
        self.assertEqual(response.status_code, HTTPStatus.FOUND)
        self.assertIn("example.nhs.test", EligibilitySettings.load().allowed_domains)

    def test_an_editor_and_a_course_lead_are_turned_away_and_change_nothing(self):
        for user in [self.editor, self.lead]:
            self.client.force_login(user)
            for page in self.pages():
                with self.subTest(user=user.email, page=page):
                    self.assertDenied(self.client.get(page))
            with self.subTest(user=user.email, action="post"):
                self.assertDenied(self.client.post(url("payments:mark_paid", self.payment.pk)))
                self.assertDenied(
                    self.client.post(
                        url("enrolments:override_band", self.enrolment.pk), {"band": "free", "reason": "x"}
                    )
                )
                self.assertDenied(self.client.post(url("enrolments:cancel", self.enrolment.pk)))
                self.assertDenied(self.client.post(settings_url(), {"allowed_domains": "gmail.com"}))
            menu = self.client.get(reverse("wagtailadmin_home")).content.decode()
            self.assertNotIn(url("enrolments:index"), menu)
        self.payment.refresh_from_db()
        self.enrolment.refresh_from_db()
        self.assertEqual(self.payment.status, PaymentStatus.PENDING)
        self.assertEqual(
            (self.enrolment.fee_band, self.enrolment.status), (FeeBand.EXTERNAL, EnrolmentStatus.AWAITING_PAYMENT)
        )
        self.assertNotIn("gmail.com", EligibilitySettings.load().allowed_domains)

    def test_a_staff_member_without_an_authenticator_is_sent_to_set_one_up(self):
        administrator = UserFactory(email="no.mfa@example.org")
        administrator.groups.add(Group.objects.get(name="Course administrators"))
        self.client.force_login(administrator)

        response = self.client.get(url("enrolments:index"))

        self.assertEqual(response.status_code, HTTPStatus.FOUND)
        self.assertIn(reverse("mfa_activate_totp"), response.url)

    def test_anonymous_visitors_are_sent_to_sign_in(self):
        response = self.client.get(url("enrolments:index"))

        self.assertEqual(response.status_code, HTTPStatus.FOUND)
        self.assertNotIn("Tom Whitfield", response.content.decode())
