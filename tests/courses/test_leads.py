"""What a course lead does from a cohort's dashboard: registers, sign-off, group enrolment, messages, exports, the waiting
list, the hooks other apps extend it with, and the administrators' course report."""

import csv
import datetime
import html
import io
import re
from http import HTTPStatus

from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column
from wagtail.test.utils import WagtailTestUtils

from allauth.account.models import EmailAddress
from openpyxl import load_workbook

from accounts.factories import ProfileFactory, UserFactory
from accounts.models import User
from courses import services
from courses.exceptions import EnrolmentError
from courses.extensions import CompletionCheck
from courses.factories import (
    CohortFactory,
    CohortSessionFactory,
    CourseIndexPageFactory,
    CoursePageFactory,
    EnrolmentFactory,
)
from courses.lead_views import CohortDashboardView
from courses.models import (
    Attendance,
    AttendanceMark,
    CohortMessage,
    Enrolment,
    EnrolmentStatus,
    FeeBand,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from tests.conftest import make_site_home
from tests.content.helpers import make_group_member, soup, texts

PRESENT, LATE, ABSENT = AttendanceMark.PRESENT, AttendanceMark.LATE, AttendanceMark.ABSENT
REPORT = "/admin/courses/report/"
NOTHING_CHANGED = ("error", "Nothing was changed: correct the errors below.")


def dashboard(name, *args):
    return reverse(f"courses_cohort_dashboards:{name}", args=args)


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def messages_of(response):
    """The admin messages queued by the response, as (level, text) with the admin's markup taken off."""
    return [
        (message.level_tag, html.unescape(str(message.message)).strip())
        for message in get_messages(response.wsgi_request)
    ]


def page_errors(response):
    """The errors shown at the top of a re-rendered form."""
    return texts(soup(response).select("form [role=alert] p"))


def csv_rows(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_rows(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def table_rows(table):
    """Each body row of a table as the text of its cells (th and td)."""
    return [texts(row.find_all(["th", "td"])) for row in table.select("tbody tr")]


def captioned_table(response, caption):
    """The table whose caption reads `caption` (the admin has other tables, such as its keyboard shortcuts)."""
    return soup(response).find("caption", string=caption).find_parent("table")


def roster_table(response):
    return soup(response).find("section", attrs={"aria-labelledby": "roster-heading"}).find("table")


def make_course(**fields):
    index = CourseIndexPageFactory(parent=make_site_home())
    return CoursePageFactory(parent=index, title="A systems approach", **fields)


def make_cohort(course, lead=None, **fields):
    cohort = CohortFactory(course=course, **fields)
    if lead:
        cohort.leads.add(lead)
        cohort.save()  # a ParentalManyToManyField is written when the cohort is saved
    return cohort


def make_lead(email="lead@example.org"):
    return make_group_member("Course leads", email)


def enrol(cohort, name, status=EnrolmentStatus.CONFIRMED, **fields):
    """A learner called `name` on `cohort`, with an address made from the name."""
    user = UserFactory(full_name=name, email=f"{name.lower().replace(' ', '.')}@example.org")
    if status not in (EnrolmentStatus.CONFIRMED, EnrolmentStatus.COMPLETED, EnrolmentStatus.DID_NOT_COMPLETE):
        fields.setdefault("confirmed_at", None)
    if status == EnrolmentStatus.WAITLISTED:
        fields.setdefault("waitlisted_at", timezone.now())
    return EnrolmentFactory(user=user, cohort=cohort, status=status, **fields)


def mark(enrolment, session, value):
    return Attendance.objects.create(enrolment=enrolment, session=session, mark=value)


def marks_of(session):
    return dict(Attendance.objects.filter(session=session).values_list("enrolment", "mark"))


class TestRegister(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.lead = make_lead()
        cls.cohort = make_cohort(make_course(), cls.lead, starts_on=days(-14), ends_on=days(14))
        cls.first = CohortSessionFactory(cohort=cls.cohort, title="Opening", date=days(-14))
        cls.second = CohortSessionFactory(cohort=cls.cohort, title="Tools", date=days(-7))
        cls.today = CohortSessionFactory(cohort=cls.cohort, title="Practice", date=days(0))
        cls.future = CohortSessionFactory(cohort=cls.cohort, title="Closing", date=days(7))
        cls.ann = enrol(cls.cohort, "Ann Able")
        cls.ben = enrol(cls.cohort, "Ben Brook")
        cls.cat = enrol(cls.cohort, "Cat Cole")
        cls.wes = enrol(cls.cohort, "Wes Wait", EnrolmentStatus.WAITLISTED)
        cls.wil = enrol(cls.cohort, "Wil Went", EnrolmentStatus.WITHDRAWN)
        cls.pam = enrol(cls.cohort, "Pam Pending", EnrolmentStatus.AWAITING_PAYMENT)
        cls.other = enrol(CohortFactory(course=cls.cohort.course), "Oli Other")

    def setUp(self):
        self.client.force_login(self.lead)

    def register(self, session):
        return dashboard("register", self.cohort.pk, session.pk)

    def test_mark_everyone_present_marks_every_confirmed_learner(self):
        response = self.client.post(self.register(self.first), {"all_present": "1"})

        self.assertRedirects(response, dashboard("dashboard", self.cohort.pk))
        self.assertEqual(messages_of(response), [("success", "Register saved for Opening: 3 learners marked.")])
        self.assertEqual(marks_of(self.first), {self.ann.pk: PRESENT, self.ben.pk: PRESENT, self.cat.pk: PRESENT})
        self.assertEqual(set(Attendance.objects.values_list("recorded_by", flat=True)), {self.lead.pk})

    def test_mark_everyone_present_overrides_marks_chosen_in_the_same_form(self):
        self.client.post(self.register(self.first), {"all_present": "1", f"mark_{self.ann.pk}": ABSENT})

        self.assertEqual(marks_of(self.first)[self.ann.pk], PRESENT)

    def test_marks_per_learner_are_saved_and_can_be_corrected(self):
        response = self.client.post(
            self.register(self.second),
            {f"mark_{self.ann.pk}": PRESENT, f"mark_{self.ben.pk}": LATE, f"mark_{self.cat.pk}": ABSENT},
        )
        self.assertRedirects(response, dashboard("dashboard", self.cohort.pk))
        self.assertEqual(marks_of(self.second), {self.ann.pk: PRESENT, self.ben.pk: LATE, self.cat.pk: ABSENT})

        # The register shows the marks taken, and a learner left blank keeps theirs when another is corrected.
        page = soup(self.client.get(self.register(self.second)))
        checked = {tag["name"]: tag["value"] for tag in page.select("input[type=radio][checked]")}
        self.assertEqual(
            checked,
            {f"mark_{self.ann.pk}": PRESENT, f"mark_{self.ben.pk}": LATE, f"mark_{self.cat.pk}": ABSENT},
        )
        self.client.post(self.register(self.second), {f"mark_{self.cat.pk}": LATE, f"mark_{self.ann.pk}": ABSENT})

        self.assertEqual(marks_of(self.second), {self.ann.pk: ABSENT, self.ben.pk: LATE, self.cat.pk: LATE})
        self.assertEqual(Attendance.objects.filter(session=self.second).count(), 3)

    def test_attendance_counts_late_as_attended_over_the_sessions_held(self):
        for session, (ann, ben, cat) in [
            (self.first, (PRESENT, LATE, ABSENT)),
            (self.second, (PRESENT, ABSENT, ABSENT)),
            (self.today, (LATE, PRESENT, ABSENT)),
        ]:
            self.client.post(
                self.register(session),
                {f"mark_{self.ann.pk}": ann, f"mark_{self.ben.pk}": ben, f"mark_{self.cat.pk}": cat},
            )
        # A mark on a session not yet held (as when a session is moved later) is not counted.
        mark(self.cat, self.future, PRESENT)

        roster = table_rows(roster_table(self.client.get(dashboard("dashboard", self.cohort.pk))))
        attendance = {row[0]: row[7] for row in roster}
        self.assertEqual(
            attendance,
            {"Ann Able": "100% (3 of 3)", "Ben Brook": "67% (2 of 3)", "Cat Cole": "0% (0 of 3)"},
        )
        rows = csv_rows(self.client.get(dashboard("dashboard", self.cohort.pk), {"export": "csv"}))
        heading = rows[0]
        exported = {
            row[0]: (
                row[heading.index("Attendance (%)")],
                row[heading.index("Sessions attended")],
                row[heading.index("Sessions held")],
            )
            for row in rows[1:]
        }
        self.assertEqual(
            exported, {"Ann Able": ("100", "3", "3"), "Ben Brook": ("67", "2", "3"), "Cat Cole": ("0", "0", "3")}
        )

    def test_before_any_session_is_held_attendance_reads_as_none_held(self):
        response = self.client.get(dashboard("dashboard", self.cohort.pk))
        self.assertEqual(
            {row[0]: row[7] for row in table_rows(roster_table(response))},
            {"Ann Able": "0% (0 of 3)", "Ben Brook": "0% (0 of 3)", "Cat Cole": "0% (0 of 3)"},
        )
        self.cohort.sessions.update(date=days(7))
        response = self.client.get(dashboard("dashboard", self.cohort.pk))
        self.assertEqual(
            {row[7] for row in table_rows(roster_table(response))},
            {"No sessions held yet"},
        )

    def test_a_future_session_register_is_refused_and_changes_nothing(self):
        page = self.client.get(self.register(self.future))
        self.assertContains(page, "This session has not been held yet, so its register cannot be taken.")

        response = self.client.post(self.register(self.future), {"all_present": "1"})

        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(page_errors(response), ["The register can be taken once the session has been held."])
        self.assertEqual(messages_of(response), [NOTHING_CHANGED])
        self.assertFalse(Attendance.objects.exists())

        response = self.client.post(self.register(self.future), {f"mark_{self.ann.pk}": PRESENT})
        self.assertEqual(page_errors(response), ["The register can be taken once the session has been held."])
        self.assertFalse(Attendance.objects.exists())

    def test_a_register_with_no_marks_is_refused(self):
        response = self.client.post(self.register(self.first), {})

        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(page_errors(response), ["Mark at least one learner present, late or absent."])
        self.assertFalse(Attendance.objects.exists())

    def test_a_mark_for_someone_not_on_the_roster_is_refused(self):
        for outsider in [self.wes, self.wil, self.pam, self.other]:
            with self.subTest(outsider=outsider.user.full_name):
                with self.assertRaises(EnrolmentError) as refused:
                    services.attendance_record(
                        session=self.first, marks={self.ann.pk: PRESENT, outsider.pk: PRESENT}, by_user=self.lead
                    )
                self.assertEqual(refused.exception.code, "not_on_roster")
        self.assertFalse(Attendance.objects.exists())

        # The register has no place for them: a mark posted for them is not recorded.
        page = soup(self.client.get(self.register(self.first)))
        self.assertEqual(texts(page.select("tbody th[scope=row]")), ["Ann Able", "Ben Brook", "Cat Cole"])
        self.client.post(self.register(self.first), {f"mark_{self.wes.pk}": PRESENT, f"mark_{self.ann.pk}": LATE})
        self.assertEqual(marks_of(self.first), {self.ann.pk: LATE})

    def test_a_mark_that_is_not_present_late_or_absent_is_refused(self):
        response = self.client.post(self.register(self.first), {f"mark_{self.ann.pk}": "excused"})

        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(messages_of(response), [NOTHING_CHANGED])
        self.assertFalse(Attendance.objects.exists())
        with self.assertRaises(EnrolmentError):
            services.attendance_record(session=self.first, marks={self.ann.pk: "excused"}, by_user=self.lead)
        self.assertFalse(Attendance.objects.exists())


def signed_off_names(response):
    """The success message of a sign-off: its wording, and the names it lists."""
    [(level, text)] = messages_of(response)
    assert level == "success", text
    wording, names = text.rstrip(".").split(": ", 1)
    return wording, set(names.split(", "))


class TestSignOff(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.lead = make_lead()
        cls.course = make_course()
        cls.cohort = make_cohort(cls.course, cls.lead, starts_on=days(-10), ends_on=days(-1))
        sessions = [CohortSessionFactory(cohort=cls.cohort, date=days(-10 + n)) for n in range(5)]
        # Attended (present or late) of the five sessions held: 5, 4 (exactly 80%), 3 and 1.
        cls.good = enrol(cls.cohort, "Gina Good")
        cls.edge = enrol(cls.cohort, "Eddie Edge")
        cls.low = enrol(cls.cohort, "Lou Low")
        cls.lower = enrol(cls.cohort, "Lola Lower")
        for enrolment, attended in [(cls.good, 5), (cls.edge, 4), (cls.low, 3), (cls.lower, 1)]:
            for n, session in enumerate(sessions):
                mark(enrolment, session, (LATE if n % 2 else PRESENT) if n < attended else ABSENT)
        cls.waiting = enrol(cls.cohort, "Wes Wait", EnrolmentStatus.WAITLISTED)

    def setUp(self):
        self.client.force_login(self.lead)
        self.url = dashboard("sign_off", self.cohort.pk)

    def status_of(self, *enrolments):
        return [Enrolment.objects.get(pk=e.pk).status for e in enrolments]

    def rule_shown(self, response):
        page = soup(response)
        return {
            " ".join(row.find("th").get_text().split()): texts(row.select("td li"))
            for row in page.select("tbody tr")
            if row.find("th")
        }

    def test_the_rule_is_shown_for_each_learner(self):
        response = self.client.get(self.url)

        self.assertContains(response, "attendance of at least 80% of the sessions held")
        self.assertEqual(
            self.rule_shown(response),
            {
                "Eddie Edge": ["Met: Attendance of at least 80%: 4 of 5 sessions held (80%)"],
                "Gina Good": ["Met: Attendance of at least 80%: 5 of 5 sessions held (100%)"],
                "Lola Lower": ["Not met: Attendance of at least 80%: 1 of 5 sessions held (20%)"],
                "Lou Low": ["Not met: Attendance of at least 80%: 3 of 5 sessions held (60%)"],
            },
        )

    def test_the_rule_follows_the_course_threshold(self):
        self.course.attendance_threshold_percent = 60
        self.course.save()

        rule = self.rule_shown(self.client.get(self.url))

        self.assertEqual(rule["Lou Low"], ["Met: Attendance of at least 60%: 3 of 5 sessions held (60%)"])
        response = self.client.post(self.url, {"enrolments": [self.low.pk], "outcome": "completed"})
        self.assertRedirects(response, dashboard("dashboard", self.cohort.pk))
        self.assertEqual(self.status_of(self.low), [EnrolmentStatus.COMPLETED])

    def test_the_rule_is_judged_on_the_exact_share_not_the_rounded_percentage(self):
        # Lou attended 3 of 5 (60%): short of 61%.
        self.course.attendance_threshold_percent = 61
        self.course.save()
        self.assertEqual(
            self.rule_shown(self.client.get(self.url))["Lou Low"],
            ["Not met: Attendance of at least 61%: 3 of 5 sessions held (60%)"],
        )
        three = make_cohort(self.course, self.lead, starts_on=days(-5), ends_on=days(-1))
        sessions = [CohortSessionFactory(cohort=three, date=days(-5 + n)) for n in range(3)]
        two_of_three = enrol(three, "Tia Two")
        for n, session in enumerate(sessions):
            mark(two_of_three, session, PRESENT if n < 2 else ABSENT)
        self.course.attendance_threshold_percent = 67  # 2 of 3 is 66.7%: shown as 67%, but short of the rule
        self.course.save()
        rule = self.rule_shown(self.client.get(dashboard("sign_off", three.pk)))
        self.assertEqual(rule["Tia Two"], ["Not met: Attendance of at least 67%: 2 of 3 sessions held (67%)"])

    def test_signing_off_learners_who_meet_the_rule_records_who_and_when(self):
        before = timezone.now()
        response = self.client.post(self.url, {"enrolments": [self.good.pk, self.edge.pk], "outcome": "completed"})

        self.assertRedirects(response, dashboard("dashboard", self.cohort.pk))
        self.assertEqual(signed_off_names(response), ("Signed off as completed", {"Eddie Edge", "Gina Good"}))
        for enrolment in [self.good, self.edge]:
            enrolment.refresh_from_db()
            self.assertEqual(enrolment.status, EnrolmentStatus.COMPLETED)
            self.assertEqual(enrolment.completion_recorded_by, self.lead)
            self.assertGreaterEqual(enrolment.completion_recorded_at, before)
            self.assertEqual(enrolment.completion_override_reason, "")
        self.assertEqual(self.status_of(self.low, self.lower), [EnrolmentStatus.CONFIRMED] * 2)
        # The sign-off page then shows who signed them off.
        rows = {
            row[1]: row[3] for row in table_rows(captioned_table(self.client.get(self.url), "Learners to sign off"))
        }
        self.assertIn(f"Completed by {self.lead}", rows["Gina Good"])

    def test_who_signed_each_learner_off_is_read_with_the_roster(self):
        def queries():
            with CaptureQueriesContext(connection) as captured:
                self.assertEqual(self.client.get(self.url).status_code, HTTPStatus.OK)
            return len(captured)

        self.client.post(self.url, {"enrolments": [self.good.pk], "outcome": "completed"})
        one_signed_off = queries()
        other_lead = make_lead("other.lead@example.org")
        self.cohort.leads.add(other_lead)
        self.cohort.save()
        self.client.force_login(other_lead)
        self.client.post(self.url, {"enrolments": [self.edge.pk, self.lower.pk], "outcome": "did_not_complete"})
        self.assertEqual(queries(), one_signed_off)  # three signed off, by two leads: no query per learner

    def test_below_the_threshold_without_a_reason_is_refused_for_everyone_chosen(self):
        for reason in ["", "   "]:
            with self.subTest(reason=reason):
                response = self.client.post(
                    self.url,
                    {"enrolments": [self.good.pk, self.low.pk], "outcome": "completed", "override_reason": reason},
                )

                self.assertEqual(response.status_code, HTTPStatus.OK)
                self.assertEqual(
                    page_errors(response),
                    [
                        "Not met by: Lou Low. To sign off as completed someone who does not meet the completion rule, "
                        "give a reason for the override."
                    ],
                )
                self.assertEqual(messages_of(response), [NOTHING_CHANGED])
                chosen = {tag["value"] for tag in soup(response).select("input[name=enrolments][checked]")}
                self.assertEqual(chosen, {str(self.good.pk), str(self.low.pk)})
                self.assertEqual(self.status_of(self.good, self.low), [EnrolmentStatus.CONFIRMED] * 2)
                self.assertFalse(Enrolment.objects.filter(completion_recorded_at__isnull=False).exists())

    def test_below_the_threshold_with_a_reason_is_completed_and_the_reason_recorded(self):
        response = self.client.post(
            self.url,
            {
                "enrolments": [self.good.pk, self.low.pk],
                "outcome": "completed",
                "override_reason": "  Caught up on the missed sessions' recordings.  ",
            },
        )

        self.assertRedirects(response, dashboard("dashboard", self.cohort.pk))
        self.good.refresh_from_db()
        self.low.refresh_from_db()
        self.assertEqual([self.good.status, self.low.status], [EnrolmentStatus.COMPLETED] * 2)
        self.assertEqual(self.low.completion_override_reason, "Caught up on the missed sessions' recordings.")
        self.assertEqual(self.low.completion_recorded_by, self.lead)
        # The learner who met the rule needed no override, so none is recorded against them.
        self.assertEqual(self.good.completion_override_reason, "")
        rows = {
            row[1]: row[3] for row in table_rows(captioned_table(self.client.get(self.url), "Learners to sign off"))
        }
        self.assertIn("Override: Caught up on the missed sessions' recordings.", rows["Lou Low"])

    def test_did_not_complete_needs_no_reason(self):
        response = self.client.post(
            self.url, {"enrolments": [self.low.pk, self.lower.pk], "outcome": "did_not_complete"}
        )

        self.assertRedirects(response, dashboard("dashboard", self.cohort.pk))
        self.assertEqual(signed_off_names(response), ("Signed off as did not complete", {"Lola Lower", "Lou Low"}))
        for enrolment in [self.low, self.lower]:
            enrolment.refresh_from_db()
            self.assertEqual(enrolment.status, EnrolmentStatus.DID_NOT_COMPLETE)
            self.assertEqual(enrolment.completion_recorded_by, self.lead)
            self.assertIsNotNone(enrolment.completion_recorded_at)

    def test_bulk_sign_off_of_the_whole_roster(self):
        everyone = [self.good, self.edge, self.low, self.lower]
        response = self.client.post(
            self.url,
            {"enrolments": [e.pk for e in everyone], "outcome": "completed", "override_reason": "Assessed in person."},
        )

        self.assertRedirects(response, dashboard("dashboard", self.cohort.pk))
        self.assertEqual(self.status_of(*everyone), [EnrolmentStatus.COMPLETED] * 4)
        reasons = dict(Enrolment.objects.filter(cohort=self.cohort).values_list("pk", "completion_override_reason"))
        self.assertEqual(
            {pk: reasons[pk] for pk in [e.pk for e in everyone]},
            {
                self.good.pk: "",
                self.edge.pk: "",
                self.low.pk: "Assessed in person.",
                self.lower.pk: "Assessed in person.",
            },
        )

    def test_someone_not_on_the_roster_cannot_be_signed_off(self):
        response = self.client.post(self.url, {"enrolments": [self.waiting.pk], "outcome": "did_not_complete"})

        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(self.status_of(self.waiting), [EnrolmentStatus.WAITLISTED])
        with self.assertRaises(EnrolmentError):
            services.enrolments_sign_off(
                cohort=self.cohort, enrolments=[self.good, self.waiting], completed=False, by_user=self.lead
            )
        self.assertEqual(
            self.status_of(self.good, self.waiting), [EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED]
        )

    def test_signing_off_before_the_cohort_starts_is_refused(self):
        cohort = make_cohort(self.course, self.lead, starts_on=days(3), ends_on=days(10))
        early = enrol(cohort, "Erin Early")

        for outcome in ["completed", "did_not_complete"]:
            with self.subTest(outcome=outcome):
                response = self.client.post(
                    dashboard("sign_off", cohort.pk),
                    {"enrolments": [early.pk], "outcome": outcome, "override_reason": "Keen."},
                )

                self.assertEqual(response.status_code, HTTPStatus.OK)
                self.assertEqual(page_errors(response), ["Learners can be signed off once the cohort has started."])
                early.refresh_from_db()
                self.assertEqual(early.status, EnrolmentStatus.CONFIRMED)
                self.assertIsNone(early.completion_recorded_at)


def upload(text, name="group.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding) if isinstance(text, str) else text, content_type="text/csv")


class TestBulkEnrol(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.lead = make_lead()
        cls.cohort = make_cohort(make_course(), cls.lead, starts_on=days(20), ends_on=days(40), capacity=3)
        cls.already = enrol(cls.cohort, "Al Ready")
        cls.existing = UserFactory(full_name="Ezra Existing", email="ezra.existing@nhs.net")

    def setUp(self):
        self.client.force_login(self.lead)
        self.url = dashboard("bulk_enrol", self.cohort.pk)

    def post(self, file, employer="Northgate NHS Foundation Trust"):
        return self.client.post(self.url, {"employer": employer, "file": file})

    def state(self):
        return (
            User.objects.count(),
            list(Enrolment.objects.order_by("pk").values_list("pk", "status")),
            len(mail.outbox),
        )

    def test_each_row_gets_its_outcome(self):
        file = upload(
            "name,email\n"
            "Ezra Existing,Ezra.Existing@NHS.net\n"
            "Nina New,nina.new@nhs.net\n"
            "Nina New again, NINA.NEW@nhs.net \n"
            "Bad Address,not-an-email\n"
            "\n"
            "Al Ready,al.ready@example.org\n"
            "Olly Over,olly.over@nhs.net\n"
            "Ezra Existing,ezra.existing@nhs.net\n"
        )

        response = self.post(file)

        self.assertEqual(response.status_code, HTTPStatus.OK)
        rows = [row.select("td") for row in soup(response).select("tr.bulk-row")]
        self.assertEqual(
            [texts(cells) for cells in rows],
            [
                ["2", "Ezra Existing", "Ezra.Existing@NHS.net", "Enrolled"],
                ["3", "Nina New", "nina.new@nhs.net", "Enrolled (account made; invitation sent)"],
                ["4", "Nina New again", "NINA.NEW@nhs.net", "Already enrolled"],
                ["5", "Bad Address", "not-an-email", "Invalid email address"],
                ["7", "Al Ready", "al.ready@example.org", "Already enrolled"],
                ["8", "Olly Over", "olly.over@nhs.net", "Waiting list (account made; invitation sent)"],
                ["9", "Ezra Existing", "ezra.existing@nhs.net", "Already enrolled"],
            ],
        )
        self.assertContains(response, "Enrolled: 2; Waiting list: 1; Already enrolled: 3; Invalid email address: 1.")

        nina = User.objects.get(email="nina.new@nhs.net")
        self.assertEqual(nina.full_name, "Nina New")
        self.assertFalse(nina.has_usable_password())
        enrolments = {e.user.email: e for e in Enrolment.objects.filter(cohort=self.cohort).exclude(pk=self.already.pk)}
        self.assertEqual(
            {email: e.status for email, e in enrolments.items()},
            {
                "ezra.existing@nhs.net": EnrolmentStatus.CONFIRMED,
                "nina.new@nhs.net": EnrolmentStatus.CONFIRMED,
                "olly.over@nhs.net": EnrolmentStatus.WAITLISTED,
            },
        )
        for enrolment in enrolments.values():
            self.assertEqual(enrolment.employer, "Northgate NHS Foundation Trust")
            self.assertEqual((enrolment.fee_band, enrolment.fee_pence), (FeeBand.FREE, 0))
        self.assertFalse(User.objects.filter(email="not-an-email").exists())

        by_address = {}
        for email in mail.outbox:
            self.assertEqual(len(email.to), 1)
            by_address.setdefault(email.to[0], []).append(email.subject)
        self.assertEqual(
            by_address,
            {
                "ezra.existing@nhs.net": ["Your place is confirmed: A systems approach"],
                "nina.new@nhs.net": ["You have been enrolled: A systems approach"],
                "olly.over@nhs.net": ["You have been enrolled: A systems approach"],
            },
        )
        invitation = next(email for email in mail.outbox if email.to == ["olly.over@nhs.net"])
        self.assertIn("you are on the waiting list", invitation.body)

    def test_lines_ended_by_a_lone_carriage_return_are_read_as_lines(self):
        # As older Mac spreadsheets save CSV: Python's reader refused it (a server error) unless told of the newlines.
        response = self.post(upload("name,email\rNina New,nina.new@nhs.net\rOlly Over,olly.over@nhs.net\r"))

        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(
            [texts(row.select("td"))[:3] for row in soup(response).select("tr.bulk-row")],
            [["2", "Nina New", "nina.new@nhs.net"], ["3", "Olly Over", "olly.over@nhs.net"]],
        )

    def test_the_invitation_link_sets_a_password_that_signs_in(self):
        self.post(upload("Nina New,nina.new@nhs.net\n"))
        [invitation] = mail.outbox
        self.assertEqual(invitation.to, ["nina.new@nhs.net"])
        self.assertIn("Your place is confirmed.", invitation.body)
        link = re.search(r"http://testserver(/\S+)", invitation.body.split("Set your password here")[1]).group(1)

        visitor = Client()
        response = visitor.get(link)
        self.assertEqual(response.status_code, HTTPStatus.FOUND)
        self.assertIn("set-password", response.url)
        self.assertEqual(visitor.get(response.url).status_code, HTTPStatus.OK)
        new_password = "a-long-new-password-for-nina"
        response = visitor.post(response.url, {"password1": new_password, "password2": new_password})
        self.assertEqual(response.status_code, HTTPStatus.FOUND)

        nina = User.objects.get(email="nina.new@nhs.net")
        self.assertTrue(nina.check_password(new_password))

        # The link went to her only address, so following it confirms that address: she signs in at once, and the
        # confirmed nhs.net address counts for the free band from now on.
        self.assertTrue(EmailAddress.objects.get(user=nina).verified)
        visitor = Client()
        response = visitor.post(reverse("account_login"), {"login": "nina.new@nhs.net", "password": new_password})
        self.assertEqual(response.status_code, HTTPStatus.FOUND)
        self.assertEqual(response.wsgi_request.user, nina)
        self.assertEqual(visitor.get(reverse("account_email")).status_code, HTTPStatus.OK)

    def test_an_empty_file_is_refused_and_creates_nothing(self):
        before = self.state()
        for file, error in [
            (upload(""), "The submitted file is empty."),
            (upload("name,email\n\n , \n"), "The file has no rows: give a name and an email address on each line."),
        ]:
            with self.subTest(error=error):
                response = self.post(file)

                self.assertEqual(response.status_code, HTTPStatus.OK)
                self.assertEqual(messages_of(response), [NOTHING_CHANGED])
                self.assertEqual(texts(soup(response).select(".error-message")), [error])
        self.assertEqual(self.state(), before)

    def test_a_file_not_in_utf8_is_refused_and_creates_nothing(self):
        before = self.state()

        response = self.post(upload("José Ruiz,jose.ruiz@nhs.net\n", encoding="latin-1"))

        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(
            texts(soup(response).select(".error-message")), ["The file must be a CSV file saved as UTF-8 text."]
        )
        self.assertEqual(self.state(), before)

    def test_a_missing_organisation_is_refused_and_creates_nothing(self):
        before = self.state()
        for employer in ["", "   "]:
            with self.subTest(employer=employer):
                response = self.post(upload("Nina New,nina.new@nhs.net\n"), employer=employer)

                self.assertEqual(response.status_code, HTTPStatus.OK)
                self.assertEqual(messages_of(response), [NOTHING_CHANGED])
                self.assertEqual(texts(soup(response).select(".error-message")), ["Give the organisation's name."])
        self.assertEqual(self.state(), before)

    def test_a_learner_already_enrolled_is_reported_and_gets_no_email(self):
        response = self.post(upload("name,email\nAl Ready,AL.READY@example.org\n"))

        self.assertEqual(
            [texts(row.select("td")) for row in soup(response).select("tr.bulk-row")],
            [["2", "Al Ready", "AL.READY@example.org", "Already enrolled"]],
        )
        self.assertEqual(Enrolment.objects.filter(user=self.already.user).count(), 1)
        self.assertEqual(mail.outbox, [])

    def test_a_finished_cohort_takes_nobody(self):
        finished = make_cohort(self.cohort.course, self.lead, starts_on=days(-20), ends_on=days(-1))
        before = self.state()

        response = self.client.post(
            dashboard("bulk_enrol", finished.pk), {"employer": "Trust", "file": upload("Nina,nina.new@nhs.net\n")}
        )

        self.assertEqual(page_errors(response), ["This cohort has finished, so nobody can be enrolled on it."])
        self.assertEqual(self.state(), before)


class TestMessages(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.lead = make_lead()
        cls.cohort = make_cohort(make_course(), cls.lead, starts_on=days(-3), ends_on=days(30), capacity=5)
        cls.confirmed = [
            enrol(cls.cohort, "Ann Able"),
            enrol(cls.cohort, "Ben Brook"),
            enrol(cls.cohort, "Cat Cole", EnrolmentStatus.COMPLETED),
        ]
        cls.waiting = [
            enrol(cls.cohort, "Wes Wait", EnrolmentStatus.WAITLISTED),
            enrol(cls.cohort, "Wen Wait", EnrolmentStatus.WAITLISTED),
        ]
        enrol(cls.cohort, "Wil Went", EnrolmentStatus.WITHDRAWN)
        enrol(cls.cohort, "Pam Pending", EnrolmentStatus.AWAITING_PAYMENT)
        enrol(CohortFactory(course=cls.cohort.course), "Oli Other")
        cls.empty = make_cohort(cls.cohort.course, cls.lead, starts_on=days(5), ends_on=days(9))
        enrol(cls.empty, "Solo Learner")

    def setUp(self):
        self.client.force_login(self.lead)

    def send(self, cohort, **data):
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(dashboard("message", cohort.pk), data)

    def test_a_message_to_each_audience_goes_to_exactly_its_people_one_email_each(self):
        for audience, people in [("confirmed", self.confirmed), ("waitlisted", self.waiting)]:
            with self.subTest(audience=audience):
                mail.outbox.clear()
                response = self.send(
                    self.cohort, audience=audience, subject=f"  Note for {audience}  ", body="Bring a notebook."
                )

                self.assertRedirects(response, dashboard("dashboard", self.cohort.pk))
                self.assertEqual(
                    messages_of(response), [("success", f"Message 'Note for {audience}' sent to {len(people)} people.")]
                )
                message = CohortMessage.objects.get(audience=audience)
                addresses = sorted(e.user.email for e in people)
                self.assertEqual(sorted(message.recipients.values_list("email", flat=True)), addresses)
                self.assertEqual(
                    sorted(message.recipients.values_list("user", flat=True)), sorted(e.user.pk for e in people)
                )
                self.assertEqual((message.subject, message.sent_by), (f"Note for {audience}", self.lead))
                self.assertEqual(sorted(address for email in mail.outbox for address in email.to), addresses)
                for email in mail.outbox:
                    self.assertEqual(len(email.to), 1)
                    self.assertEqual((email.cc, email.bcc), ([], []))
                    self.assertEqual(email.subject, f"Note for {audience}: A systems approach")
                    self.assertIn("Bring a notebook.", email.body)
                    others = set(addresses) - set(email.to)
                    for other in others:
                        self.assertNotIn(other, email.body)
                        self.assertNotIn(other, email.alternatives[0].content)

    def test_the_waiting_list_audience_includes_those_with_an_offer(self):
        offered = enrol(self.cohort, "Olive Offered", EnrolmentStatus.OFFERED)

        self.send(self.cohort, audience="waitlisted", subject="News", body="A place may come up.")

        message = CohortMessage.objects.get()
        self.assertEqual(
            sorted(message.recipients.values_list("email", flat=True)),
            sorted(e.user.email for e in [*self.waiting, offered]),
        )

    def test_the_message_and_its_recipients_are_shown_on_the_dashboard(self):
        self.send(self.cohort, audience="waitlisted", subject="A place may come up", body="Line one.\n\nLine two.")

        page = soup(self.client.get(dashboard("dashboard", self.cohort.pk)))
        section = page.find("section", attrs={"aria-labelledby": "messages-heading"})
        [summary] = texts(section.select("summary"))
        self.assertTrue(summary.startswith("A place may come up: "), summary)
        self.assertTrue(
            summary.endswith(f"by {self.lead} to 2 people (everyone on the waiting list, with or without an offer)"),
            summary,
        )
        self.assertIn("Line two.", section.get_text())
        self.assertIn("Sent to: wen.wait@example.org, wes.wait@example.org", " ".join(section.get_text().split()))

    def test_an_empty_subject_or_body_is_refused_and_records_nothing(self):
        for data, error in [
            ({"subject": "   ", "body": "Hello"}, "Give the message a subject."),
            ({"subject": "Hello", "body": " \n "}, "Write the message."),
        ]:
            with self.subTest(error=error):
                response = self.send(self.cohort, audience="confirmed", **data)

                self.assertEqual(response.status_code, HTTPStatus.OK)
                self.assertIn(error, texts(soup(response).select(".error-message")))
                # The error is announced with its field: the field's aria-describedby names the error's element.
                invalid = soup(response).select_one("[aria-invalid=true]")
                described = soup(response).find(id=invalid["aria-describedby"].split()[0])
                self.assertIsNotNone(described)
                self.assertIn(error, described.get_text())
                self.assertEqual(messages_of(response), [NOTHING_CHANGED])
        for data in [{"subject": " ", "body": "Hello"}, {"subject": "Hello", "body": ""}]:
            with self.assertRaises(EnrolmentError):
                services.cohort_message_send(cohort=self.cohort, audience="confirmed", by_user=self.lead, **data)
        self.assertFalse(CohortMessage.objects.exists())
        self.assertEqual(mail.outbox, [])

    def test_an_audience_with_nobody_in_it_is_refused_and_records_nothing(self):
        response = self.send(self.empty, audience="waitlisted", subject="Hello", body="Anyone there?")

        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(page_errors(response), ["There is nobody to send that message to."])
        self.assertFalse(CohortMessage.objects.exists())
        self.assertEqual(mail.outbox, [])


class TestRosterExport(TestCase):
    HEADINGS = [
        "Name",
        "Email",
        "Organisation",
        "Job role",
        "Professional registration",
        "Fee band",
        "Status",
        "Attendance (%)",
        "Sessions attended",
        "Sessions held",
        "Signed off",
        "Override reason",
    ]

    @classmethod
    def setUpTestData(cls):
        cls.lead = make_lead()
        cls.cohort = make_cohort(make_course(), cls.lead, code="SYS-EXP", starts_on=days(-7), ends_on=days(7))
        first = CohortSessionFactory(cohort=cls.cohort, date=days(-7))
        second = CohortSessionFactory(cohort=cls.cohort, date=days(-1))
        CohortSessionFactory(cohort=cls.cohort, date=days(3))
        cls.ann = enrol(cls.cohort, "Ann Able", employer="Enrolment Employer")
        ProfileFactory(
            user=cls.ann.user,
            organisation="Northgate NHS Foundation Trust",
            job_role="Ward sister",
            professional_body="nmc",
            registration_number="12A3456B",
        )
        cls.signed_at = timezone.make_aware(datetime.datetime(2026, 3, 4, 15, 30))
        cls.ben = enrol(
            cls.cohort,
            "Ben Brook",
            EnrolmentStatus.COMPLETED,
            fee_band=FeeBand.EXTERNAL,
            fee_pence=45000,
            employer="Harbour Independent Clinic",
            completion_recorded_by=cls.lead,
            completion_recorded_at=cls.signed_at,
            completion_override_reason="Made up the session.",
        )
        cls.cat = enrol(cls.cohort, "Cat Cole", EnrolmentStatus.DID_NOT_COMPLETE, employer="Eastfield Trust")
        ProfileFactory(
            user=cls.cat.user,
            organisation="",
            job_role="Physiotherapist",
            professional_body="other",
            professional_body_other="Chartered Society",
            registration_number="CSP-9",
        )
        mark(cls.ann, first, PRESENT)
        mark(cls.ann, second, LATE)
        mark(cls.ben, first, LATE)
        mark(cls.ben, second, ABSENT)
        mark(cls.cat, first, ABSENT)
        for status in [
            EnrolmentStatus.WAITLISTED,
            EnrolmentStatus.WITHDRAWN,
            EnrolmentStatus.OFFERED,
            EnrolmentStatus.AWAITING_PAYMENT,
            EnrolmentStatus.CANCELLED,
        ]:
            enrol(cls.cohort, f"Not {status.label}", status)
        enrol(CohortFactory(course=cls.cohort.course), "Oli Other")

    def setUp(self):
        self.client.force_login(self.lead)

    def export(self, kind):
        response = self.client.get(dashboard("dashboard", self.cohort.pk), {"export": kind})
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertIn(f"roster-SYS-EXP.{kind}", response["Content-Disposition"])
        return response

    def test_the_csv_holds_this_cohorts_roster_only(self):
        rows = csv_rows(self.export("csv"))

        self.assertEqual(
            rows,
            [
                self.HEADINGS,
                [
                    "Ann Able",
                    "ann.able@example.org",
                    "Northgate NHS Foundation Trust",
                    "Ward sister",
                    "Nursing and Midwifery Council (NMC) 12A3456B",
                    "Free (NHS staff in England)",
                    "Confirmed",
                    "100",
                    "2",
                    "2",
                    "",
                    "",
                ],
                [
                    "Ben Brook",
                    "ben.brook@example.org",
                    "Harbour Independent Clinic",
                    "",
                    "",
                    "External fee",
                    "Completed",
                    "50",
                    "1",
                    "2",
                    timezone.localtime(self.signed_at).strftime("%Y-%m-%d %H:%M"),
                    "Made up the session.",
                ],
                [
                    "Cat Cole",
                    "cat.cole@example.org",
                    "Eastfield Trust",
                    "Physiotherapist",
                    "Chartered Society CSP-9",
                    "Free (NHS staff in England)",
                    "Did not complete",
                    "0",
                    "0",
                    "2",
                    "",
                    "",
                ],
            ],
        )

    def test_the_xlsx_holds_the_same_roster(self):
        rows = xlsx_rows(self.export("xlsx"))

        self.assertEqual(rows[0], self.HEADINGS)
        self.assertEqual([row[0] for row in rows[1:]], ["Ann Able", "Ben Brook", "Cat Cole"])
        ann, ben, cat = rows[1:]
        self.assertEqual(
            ann[2:5], ["Northgate NHS Foundation Trust", "Ward sister", "Nursing and Midwifery Council (NMC) 12A3456B"]
        )
        self.assertEqual(ben[2], "Harbour Independent Clinic")
        self.assertEqual(cat[2], "Eastfield Trust")
        self.assertEqual([row[6] for row in rows[1:]], ["Confirmed", "Completed", "Did not complete"])
        self.assertEqual([row[7:10] for row in rows[1:]], [[100, 2, 2], [50, 1, 2], [0, 0, 2]])
        self.assertEqual(ben[10], timezone.make_naive(self.signed_at))
        self.assertEqual(ben[11], "Made up the session.")

    def test_the_dashboard_roster_shows_the_same_people(self):
        rows = table_rows(roster_table(self.client.get(dashboard("dashboard", self.cohort.pk))))

        self.assertEqual(
            [row[:8] for row in rows],
            [
                [
                    "Ann Able",
                    "ann.able@example.org",
                    "Northgate NHS Foundation Trust",
                    "Ward sister",
                    "Nursing and Midwifery Council (NMC) 12A3456B",
                    "Free (NHS staff in England)",
                    "Confirmed",
                    "100% (2 of 2)",
                ],
                [
                    "Ben Brook",
                    "ben.brook@example.org",
                    "Harbour Independent Clinic",
                    "",
                    "",
                    "External fee",
                    "Completed",
                    "50% (1 of 2)",
                ],
                [
                    "Cat Cole",
                    "cat.cole@example.org",
                    "Eastfield Trust",
                    "Physiotherapist",
                    "Chartered Society CSP-9",
                    "Free (NHS staff in England)",
                    "Did not complete",
                    "0% (0 of 2)",
                ],
            ],
        )


class TestWaitingList(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.lead = make_lead()
        cls.course = make_course()
        cls.cohort = make_cohort(cls.course, cls.lead, starts_on=days(10), ends_on=days(20), capacity=2)
        enrol(cls.cohort, "Ann Able")
        enrol(cls.cohort, "Ben Brook")
        cls.first = enrol(cls.cohort, "Wes Wait", EnrolmentStatus.WAITLISTED, waitlisted_at=timezone.now())
        cls.second = enrol(
            cls.cohort,
            "Wen Wait",
            EnrolmentStatus.WAITLISTED,
            waitlisted_at=timezone.now() + datetime.timedelta(minutes=1),
        )

    def setUp(self):
        self.client.force_login(self.lead)

    def action(self, enrolment, name, cohort=None):
        return self.client.post(dashboard("waitlist_action", (cohort or self.cohort).pk, enrolment.pk, name))

    def test_promote_on_a_full_cohort_offers_the_place_and_adds_one(self):
        response = self.action(self.second, "promote")

        self.assertRedirects(response, dashboard("dashboard", self.cohort.pk))
        self.assertEqual(
            messages_of(response),
            [
                (
                    "success",
                    "Wen Wait is offered a place, to accept within the offer time. The cohort was full, so its "
                    "capacity went up by one.",
                )
            ],
        )
        self.second.refresh_from_db()
        self.cohort.refresh_from_db()
        self.assertEqual(self.second.status, EnrolmentStatus.OFFERED)
        self.assertGreater(self.second.offer_expires_at, timezone.now())
        self.assertEqual(self.cohort.capacity, 3)
        self.assertEqual(
            [(email.to, email.subject) for email in mail.outbox],
            [(["wen.wait@example.org"], "A place is available for you: A systems approach")],
        )
        self.assertEqual(Enrolment.objects.get(pk=self.first.pk).status, EnrolmentStatus.WAITLISTED)

    def test_promote_with_a_free_place_keeps_the_capacity(self):
        self.cohort.capacity = 3
        self.cohort.save()

        response = self.action(self.first, "promote")

        self.assertEqual(
            messages_of(response), [("success", "Wes Wait is offered a place, to accept within the offer time.")]
        )
        self.cohort.refresh_from_db()
        self.assertEqual(self.cohort.capacity, 3)
        self.assertEqual(Enrolment.objects.get(pk=self.first.pk).status, EnrolmentStatus.OFFERED)

    def test_remove_cancels_without_offering_when_no_place_is_freed(self):
        response = self.action(self.first, "remove")

        self.assertEqual(messages_of(response), [("success", "Wes Wait is removed from the waiting list.")])
        self.assertEqual(Enrolment.objects.get(pk=self.first.pk).status, EnrolmentStatus.CANCELLED)
        self.assertEqual(Enrolment.objects.get(pk=self.second.pk).status, EnrolmentStatus.WAITLISTED)
        self.assertEqual(mail.outbox, [])

    def test_removing_an_offered_learner_offers_the_seat_on(self):
        self.action(self.first, "promote")
        mail.outbox.clear()

        response = self.action(self.first, "remove")

        self.assertRedirects(response, dashboard("dashboard", self.cohort.pk))
        self.assertEqual(Enrolment.objects.get(pk=self.first.pk).status, EnrolmentStatus.CANCELLED)
        self.assertEqual(Enrolment.objects.get(pk=self.second.pk).status, EnrolmentStatus.OFFERED)
        self.assertEqual(
            [(email.to, email.subject) for email in mail.outbox],
            [(["wen.wait@example.org"], "A place is available for you: A systems approach")],
        )

    def test_promote_on_a_started_cohort_is_refused(self):
        started = make_cohort(self.course, self.lead, starts_on=days(-1), ends_on=days(20), capacity=1)
        enrol(started, "Sam Started")
        waiting = enrol(started, "Will Wait", EnrolmentStatus.WAITLISTED)

        response = self.action(waiting, "promote", cohort=started)

        self.assertRedirects(response, dashboard("dashboard", started.pk))
        self.assertEqual(
            messages_of(response), [("error", "The cohort has started, so no more places can be offered.")]
        )
        started.refresh_from_db()
        self.assertEqual(started.capacity, 1)
        self.assertEqual(Enrolment.objects.get(pk=waiting.pk).status, EnrolmentStatus.WAITLISTED)
        self.assertEqual(mail.outbox, [])

    def test_the_waiting_list_is_shown_in_order_with_its_actions(self):
        page = soup(self.client.get(dashboard("dashboard", self.cohort.pk)))
        section = page.find("section", attrs={"aria-labelledby": "waiting-heading"})

        self.assertEqual(
            [row[:3] for row in table_rows(section.find("table"))],
            [
                ["1", "Wes Wait (wes.wait@example.org)", "On the waiting list"],
                ["2", "Wen Wait (wen.wait@example.org)", "On the waiting list"],
            ],
        )
        self.assertEqual(
            [form["action"] for form in section.select("form")],
            [
                dashboard("waitlist_action", self.cohort.pk, self.first.pk, "promote"),
                dashboard("waitlist_action", self.cohort.pk, self.first.pk, "remove"),
                dashboard("waitlist_action", self.cohort.pk, self.second.pk, "promote"),
                dashboard("waitlist_action", self.cohort.pk, self.second.pk, "remove"),
            ],
        )


def cohort_with_learners(course, lead, count, code):
    """A running cohort of `count` confirmed learners with profiles and marks, a waiting list, a payment and a message."""
    cohort = make_cohort(course, lead, code=code, starts_on=days(-7), ends_on=days(7), capacity=count + 5)
    sessions = [CohortSessionFactory(cohort=cohort, date=days(n)) for n in (-7, -1, 3)]
    for n in range(count):
        user = UserFactory(full_name=f"{code} learner {n:03d}", email=f"{code.lower()}-{n}@example.org")
        ProfileFactory(user=user, professional_body="nmc", registration_number=f"R{n}")
        enrolment = EnrolmentFactory(user=user, cohort=cohort)
        Attendance.objects.bulk_create(
            [
                Attendance(enrolment=enrolment, session=sessions[0], mark=PRESENT),
                Attendance(enrolment=enrolment, session=sessions[1], mark=LATE if n % 2 else ABSENT),
            ]
        )
    for n in range(3):
        enrol(cohort, f"{code} waiting {n}", EnrolmentStatus.WAITLISTED)
    pending = enrol(cohort, f"{code} paying", EnrolmentStatus.AWAITING_PAYMENT, fee_band=FeeBand.EXTERNAL)
    Payment.objects.create(enrolment=pending, method=PaymentMethod.INVOICE, amount_pence=45000)
    services.cohort_message_send(cohort=cohort, audience="confirmed", subject="Welcome", body="Hello.", by_user=lead)
    return cohort


class TestDashboardQueries(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.lead = make_lead()
        course = make_course()
        cls.small = cohort_with_learners(course, cls.lead, 5, "SMALL")
        cls.large = cohort_with_learners(course, cls.lead, 200, "LARGE")

    def queries_for(self, cohort):
        self.client.get(dashboard("dashboard", cohort.pk))  # warm the session, site and permission caches
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(dashboard("dashboard", cohort.pk))
        self.assertEqual(response.status_code, HTTPStatus.OK)
        return len(queries), response

    def test_the_dashboard_makes_as_many_queries_for_200_learners_as_for_5(self):
        self.client.force_login(self.lead)

        small, small_response = self.queries_for(self.small)
        large, large_response = self.queries_for(self.large)

        self.assertEqual(len(table_rows(roster_table(small_response))), 5)
        self.assertEqual(len(table_rows(roster_table(large_response))), CohortDashboardView.ROSTER_PAGE_SIZE)
        self.assertEqual(small, large)

    def test_the_counts_waiting_list_and_payments_read_together_are_each_right(self):
        # The fill counts come with the cohort, the waiting list and pending payments from one read: each still
        # shows only its own learners, in its own order.
        self.client.force_login(self.lead)
        page = soup(self.client.get(dashboard("dashboard", self.large.pk)))
        fill = page.find("dl", class_="cohort-fill")
        waiting = page.find("section", attrs={"aria-labelledby": "waiting-heading"}).find("table")
        payments = page.find("section", attrs={"aria-labelledby": "payments-heading"}).find("table")

        self.assertEqual(
            [dd.get_text(strip=True) for dd in fill.find_all("dd")],
            ["205", "201 (98%)", "4", "3"],  # 200 confirmed and 1 awaiting payment hold places; 3 wait
        )
        self.assertEqual(page.find(id="roster-heading").get_text(strip=True), "Roster (200)")
        self.assertEqual(
            [row[:2] for row in table_rows(waiting)],
            [[str(n + 1), f"LARGE waiting {n} (large.waiting.{n}@example.org)"] for n in range(3)],
        )
        self.assertEqual([row[:2] for row in table_rows(payments)], [["LARGE paying", "Invoice to my organisation"]])

    def test_the_roster_is_shown_a_page_at_a_time_in_name_order(self):
        self.client.force_login(self.lead)
        size = CohortDashboardView.ROSTER_PAGE_SIZE
        names = [f"LARGE learner {n:03d}" for n in range(200)]
        url = dashboard("dashboard", self.large.pk)

        first = self.client.get(url)
        heading = soup(first).find(id="roster-heading").get_text(strip=True)
        second = self.client.get(url + "?p=2")
        last = self.client.get(url + f"?p={200 // size}")

        self.assertEqual(heading, "Roster (200)")
        self.assertEqual([row[0] for row in table_rows(roster_table(first))], names[:size])
        self.assertEqual([row[0] for row in table_rows(roster_table(second))], names[size : 2 * size])
        self.assertEqual([row[0] for row in table_rows(roster_table(last))], names[-size:])
        self.assertIn(f"Page 1 of {200 // size}", soup(first).find("nav", class_="pagination").get_text(" "))
        nav = soup(second).find("nav", class_="pagination")
        self.assertEqual(nav.find("li", class_="prev").a["href"], "?p=1")
        self.assertEqual(nav.find("li", class_="next").a["href"], "?p=3")
        self.assertEqual(nav.find("a", attrs={"aria-current": "page"}).get_text(strip=True), "2")
        self.assertIn(f"?p={200 // size}", [link["href"] for link in nav.find_all("a", href=True)])
        self.assertIn("200 learners", nav.get_text(" "))
        self.assertIsNone(soup(last).find("nav", class_="pagination").find("li", class_="next").a.get("href"))
        # A page number past the end shows the last page, and one that is not a number the first: never an error.
        self.assertEqual(table_rows(roster_table(self.client.get(url + "?p=999"))), table_rows(roster_table(last)))
        self.assertEqual(table_rows(roster_table(self.client.get(url + "?p=abc"))), table_rows(roster_table(first)))
        # The small cohort fits on one page: no page links.
        self.assertIsNone(soup(self.client.get(dashboard("dashboard", self.small.pk))).find("nav", class_="pagination"))


class AssessmentPanel(Component):
    def __init__(self, cohort):
        self.cohort = cohort

    def render_html(self, parent_context=None):
        return format_html(
            '<section id="assessment-panel"><h2>Assessments</h2><p>Marking for {}</p></section>', self.cohort.code
        )


class TestHooks(WagtailTestUtils, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.lead = make_lead()
        cls.cohort = make_cohort(make_course(), cls.lead, code="SYS-HOOK", starts_on=days(-7), ends_on=days(-1))
        session = CohortSessionFactory(cohort=cls.cohort, date=days(-7))
        cls.ann = enrol(cls.cohort, "Ann Able")
        cls.ben = enrol(cls.cohort, "Ben Brook")
        mark(cls.ann, session, PRESENT)
        mark(cls.ben, session, PRESENT)

    def setUp(self):
        self.client.force_login(self.lead)

    def test_a_registered_panel_is_shown_on_the_dashboard(self):
        def panels(request, cohort):
            return [AssessmentPanel(cohort)]

        with hooks.register_temporarily("register_cohort_dashboard_panels", panels):
            page = soup(self.client.get(dashboard("dashboard", self.cohort.pk)))

        self.assertEqual(texts(page.select("#assessment-panel p")), ["Marking for SYS-HOOK"])

    def test_a_registered_roster_column_is_shown_with_its_values(self):
        scores = {self.ann.pk: "72%", self.ben.pk: "Not submitted"}

        def columns(request, cohort, enrolments):
            return [Column("assessment", label="Assessment", accessor=lambda enrolment: scores[enrolment.pk])]

        with hooks.register_temporarily("register_cohort_roster_columns", columns):
            table = roster_table(self.client.get(dashboard("dashboard", self.cohort.pk)))

        headings = texts(table.select("thead th"))
        self.assertEqual(headings[-1], "Assessment")
        self.assertEqual(
            {row[0]: row[-1] for row in table_rows(table)}, {"Ann Able": "72%", "Ben Brook": "Not submitted"}
        )

    def test_a_completion_check_not_met_blocks_sign_off_as_completed(self):
        def checks(cohort, enrolments):
            return {
                e.pk: CompletionCheck("Pass the assessment", met=e.pk == self.ben.pk, detail="Marked")
                for e in enrolments
            }

        url = dashboard("sign_off", self.cohort.pk)
        with hooks.register_temporarily("register_completion_checks", checks):
            page = soup(self.client.get(url))
            rule = {
                row.find("th").get_text(" ", strip=True): texts(row.select("td li")) for row in page.select("tbody tr")
            }
            refused = self.client.post(url, {"enrolments": [self.ann.pk, self.ben.pk], "outcome": "completed"})
            ann_status = Enrolment.objects.get(pk=self.ann.pk).status
            allowed = self.client.post(url, {"enrolments": [self.ben.pk], "outcome": "completed"})
            overridden = self.client.post(
                url, {"enrolments": [self.ann.pk], "outcome": "completed", "override_reason": "Passed a resit."}
            )

        self.assertEqual(
            rule["Ann Able"],
            ["Met: Attendance of at least 80%: 1 of 1 sessions held (100%)", "Not met: Pass the assessment: Marked"],
        )
        self.assertEqual(rule["Ben Brook"][1], "Met: Pass the assessment: Marked")
        self.assertEqual(refused.status_code, HTTPStatus.OK)
        self.assertEqual(
            page_errors(refused),
            [
                "Not met by: Ann Able. To sign off as completed someone who does not meet the completion rule, "
                "give a reason for the override."
            ],
        )
        self.assertEqual(ann_status, EnrolmentStatus.CONFIRMED)
        self.assertRedirects(allowed, dashboard("dashboard", self.cohort.pk))
        self.assertRedirects(overridden, dashboard("dashboard", self.cohort.pk))
        self.ann.refresh_from_db()
        self.assertEqual(
            (self.ann.status, self.ann.completion_override_reason), (EnrolmentStatus.COMPLETED, "Passed a resit.")
        )
        self.assertEqual(Enrolment.objects.get(pk=self.ben.pk).status, EnrolmentStatus.COMPLETED)


class TestCourseReport(TestCase):
    STATUS_HEADINGS = [
        "Status: Awaiting payment",
        "Status: Confirmed",
        "Status: Completed",
        "Status: Did not complete",
        "Status: On the waiting list",
        "Status: Place offered",
        "Status: Withdrawn",
        "Status: Cancelled",
    ]

    @classmethod
    def setUpTestData(cls):
        cls.administrator = make_group_member("Course administrators", "course.admin@example.org")
        index = CourseIndexPageFactory(parent=make_site_home())
        systems = CoursePageFactory(parent=index, title="A systems approach")
        human = CoursePageFactory(parent=index, title="Human factors")
        cls.spring = CohortFactory(
            course=systems,
            code="SYS-SPRING",
            starts_on=datetime.date(2026, 4, 1),
            ends_on=datetime.date(2026, 5, 1),
            capacity=4,
        )
        cls.summer = CohortFactory(
            course=human,
            code="HF-SUMMER",
            starts_on=datetime.date(2026, 6, 1),
            ends_on=datetime.date(2026, 7, 1),
            capacity=10,
        )
        cls.autumn = CohortFactory(
            course=systems,
            code="SYS-AUTUMN",
            starts_on=datetime.date(2026, 9, 1),
            ends_on=datetime.date(2026, 10, 1),
            capacity=5,
        )
        external = {"fee_band": FeeBand.EXTERNAL, "fee_pence": 45000}
        # Spring: 4 places, 3 taken (2 free, 1 external), 2 signed off of which 1 completed.
        enrol(cls.spring, "Spring Completed", EnrolmentStatus.COMPLETED)
        enrol(cls.spring, "Spring Not Completed", EnrolmentStatus.DID_NOT_COMPLETE)
        card = enrol(cls.spring, "Spring Card", EnrolmentStatus.CONFIRMED, **external)
        enrol(cls.spring, "Spring Waiting", EnrolmentStatus.WAITLISTED)
        withdrawn = enrol(cls.spring, "Spring Withdrawn", EnrolmentStatus.WITHDRAWN, **external)
        Payment.objects.create(enrolment=card, method=PaymentMethod.CARD, status=PaymentStatus.PAID, amount_pence=45000)
        Payment.objects.create(
            enrolment=withdrawn,
            method=PaymentMethod.CARD,
            status=PaymentStatus.REFUNDED,
            amount_pence=45000,
            refunded_pence=30000,
        )
        Payment.objects.create(
            enrolment=card, method=PaymentMethod.CARD, status=PaymentStatus.CANCELLED, amount_pence=45000
        )
        # Summer: 10 places, 3 taken (paid by invoice, awaiting an invoice, offered), nobody signed off.
        paid = enrol(cls.summer, "Summer Invoice", EnrolmentStatus.CONFIRMED, **external)
        awaiting = enrol(cls.summer, "Summer Awaiting", EnrolmentStatus.AWAITING_PAYMENT, **external)
        enrol(cls.summer, "Summer Offered", EnrolmentStatus.OFFERED)
        enrol(cls.summer, "Summer Cancelled", EnrolmentStatus.CANCELLED)
        Payment.objects.create(
            enrolment=paid, method=PaymentMethod.INVOICE, status=PaymentStatus.PAID, amount_pence=54000
        )
        Payment.objects.create(
            enrolment=awaiting, method=PaymentMethod.INVOICE, status=PaymentStatus.PENDING, amount_pence=45000
        )
        # Autumn is outside the range asked for.
        autumn_paid = enrol(cls.autumn, "Autumn Card", EnrolmentStatus.CONFIRMED, **external)
        Payment.objects.create(
            enrolment=autumn_paid, method=PaymentMethod.CARD, status=PaymentStatus.PAID, amount_pence=45000
        )

    def setUp(self):
        self.client.force_login(self.administrator)

    RANGE = {"starts_from": "2026-03-01", "starts_to": "2026-06-30"}

    def test_the_report_counts_fill_completion_and_income_for_cohorts_in_the_range(self):
        response = self.client.get(REPORT, self.RANGE)

        self.assertEqual(response.status_code, HTTPStatus.OK)
        table = captioned_table(response, "Enrolments, fill, completion and income per cohort")
        self.assertEqual(
            texts(table.select("thead th")),
            [
                "Course",
                "Cohort",
                "Places taken",
                "Fill rate",
                "Free (NHS staff in England)",
                "External fee",
                "Confirmed",
                "Awaiting payment",
                "On the waiting list",
                "Completed",
                "Did not complete",
                "Withdrawn",
                "Completion rate",
                "Card income",
                "Invoice income",
            ],
        )
        self.assertEqual(
            table_rows(table),
            [
                [
                    "A systems approach",
                    "SYS-SPRING (1 Apr 2026)",
                    "3 / 4",
                    "75%",
                    "2",
                    "1",
                    "1",
                    "0",
                    "1",
                    "1",
                    "1",
                    "1",
                    "50%",
                    "£600.00",
                    "£0.00",
                ],
                [
                    "Human factors",
                    "HF-SUMMER (1 Jun 2026)",
                    "3 / 10",
                    "30%",
                    "1",
                    "2",
                    "1",
                    "1",
                    "0",
                    "0",
                    "0",
                    "0",
                    "-",
                    "£0.00",
                    "£540.00",
                ],
            ],
        )
        self.assertEqual(texts(table.select("tfoot td")), ["6 / 14", "", "£600.00", "£540.00"])

    def test_the_csv_export_holds_the_same_figures(self):
        response = self.client.get(REPORT, {**self.RANGE, "export": "csv"})

        self.assertEqual(response["Content-Type"], "text/csv")
        rows = csv_rows(response)
        self.assertEqual(
            rows[0],
            [
                "Course",
                "Cohort",
                "Starts on",
                "Capacity",
                "Places taken",
                "Fill rate (%)",
                "Band: Free (NHS staff in England)",
                "Band: External fee",
                *self.STATUS_HEADINGS,
                "Completion rate (%)",
                "Income by card (£)",
                "Income by invoice (£)",
            ],
        )
        self.assertEqual(
            rows[1:],
            [
                ["A systems approach", "SYS-SPRING", "2026-04-01", "4", "3", "75", "2", "1"]
                + ["0", "1", "1", "1", "1", "0", "1", "0"]
                + ["50", "600.00", "0.00"],
                ["Human factors", "HF-SUMMER", "2026-06-01", "10", "3", "30", "1", "2"]
                + ["1", "1", "0", "0", "0", "1", "0", "1"]
                + ["", "0.00", "540.00"],
            ],
        )

    def test_the_report_link_to_the_csv_keeps_the_filters(self):
        page = soup(self.client.get(REPORT, self.RANGE))
        link = page.find("a", string=re.compile("Download as CSV"))["href"]

        rows = csv_rows(self.client.get(link))
        self.assertEqual([row[1] for row in rows[1:]], ["SYS-SPRING", "HF-SUMMER"])

    def test_a_bad_date_range_re_renders_with_an_error(self):
        for query, error in [
            (
                {"starts_from": "2026-06-30", "starts_to": "2026-03-01"},
                "The end of the range must be on or after its start.",
            ),
            ({"starts_from": "2026-13-45"}, "Enter a valid date."),
        ]:
            with self.subTest(query=query):
                response = self.client.get(REPORT, query)

                self.assertEqual(response.status_code, HTTPStatus.OK)
                self.assertIn(error, texts(soup(response).select(".error-message")))
                self.assertFalse(
                    soup(response).select("table.listing tbody tr"), "no figures for a range that is wrong"
                )
