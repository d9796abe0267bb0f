"""The course lead's cohort dashboards in a real browser: signing in with an authenticator code, the register, a message,
a sign-off, a cohort they do not lead, and axe on every dashboard page.

The demo (courses/demo.py) has the course lead leading the flagship course's cohorts SYS-01, SYS-02 and SYS-03 but not
HFE-01 of the other course. SYS-03 is running: its first session (8 days ago) has a register, its second (yesterday) has
none, and it has six confirmed learners.
"""

import re

from django.contrib.auth import get_user_model

import pytest
from playwright.sync_api import expect

from courses import services
from courses.demo import ADMIN_EMAIL, COURSE_LEAD_EMAIL
from courses.models import Attendance, AttendanceMark, Cohort, EnrolmentStatus, MessageAudience
from tests.browser.accounts import sign_in_to_admin, with_authenticator
from tests.browser.axe import assert_no_blocking_violations

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("staff_mfa_required")]

RUNNING_COHORT, OTHER_COURSE_COHORT = "SYS-03", "HFE-01"
LEAD_COHORTS = ["SYS-01", "SYS-02", "SYS-03"]
SECOND_SESSION = "2. The work system: the SEIPS model"
SYS03_LEARNERS = {
    "Hannah Scott": "hannah.scott@example.com",
    "Ravi Patel": "ravi.patel@example.com",
    "Nadia Hussain": "nadia.hussain@nhs.net",
    "Priya Shah": "nhs.learner@nhs.net",  # the demo NHS learner, on SYS-03 with a case exercise in progress
    "James Cole": "james.cole@mft.nhs.uk",
    "Sophie Turner": "sophie.turner@nhs.net",
}
DASHBOARDS = "/admin/courses/dashboards/"
# Helpers ---------------------------------------------------------------------------------------------------------------


def cohort_pk(code):
    return Cohort.objects.get(code=code).pk


def roster_row(page, name):
    return (
        page.get_by_role("table")
        .filter(has=page.get_by_role("columnheader", name="Attendance"))
        .get_by_role("row")
        .filter(has_text=name)
    )


def wagtail_message(page, text):
    """A message Wagtail shows at the top of the page after an action."""
    return page.locator(".messages").get_by_text(text)


# Journey ---------------------------------------------------------------------------------------------------------------


def test_course_lead_takes_the_register_messages_the_cohort_and_signs_off_a_learner(page, mailoutbox):
    secret = with_authenticator(COURSE_LEAD_EMAIL)
    sign_in_to_admin(page, COURSE_LEAD_EMAIL, secret)

    # Courses > Cohort dashboards in the admin's sidebar.
    sidebar = page.get_by_role("navigation", name="Main menu")
    sidebar.get_by_role("button", name="Courses").click()
    # The course report is for course administrators: a lead's menu does not offer it.
    expect(sidebar.get_by_role("link", name="Course report")).to_have_count(0)
    sidebar.get_by_role("link", name="Cohort dashboards").click()
    expect(page).to_have_url(re.compile(rf"{DASHBOARDS}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Cohort dashboards")

    cohorts = page.get_by_role("main").get_by_role("table")
    for code in LEAD_COHORTS:
        expect(cohorts.get_by_role("link", name=code, exact=True)).to_be_visible()
    expect(cohorts.get_by_text(OTHER_COURSE_COHORT)).to_have_count(0)
    expect(cohorts.get_by_role("row").filter(has_text=RUNNING_COHORT)).to_contain_text("Running")
    cohorts.get_by_role("link", name=RUNNING_COHORT, exact=True).click()

    dashboard_url = f"{DASHBOARDS}{cohort_pk(RUNNING_COHORT)}/"
    expect(page).to_have_url(re.compile(rf"{re.escape(dashboard_url)}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(RUNNING_COHORT)
    expect(page.get_by_role("heading", level=2, name="Roster (6)")).to_be_visible()
    for name in SYS03_LEARNERS:
        # One of two sessions held so far, and the register of the second not yet taken.
        expect(roster_row(page, name)).to_contain_text("50% (1 of 2)")

    # The register of yesterday's session, everyone present at once.
    page.get_by_role("link", name=f"Take the register for {SECOND_SESSION}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Register")
    page.get_by_role("button", name="Mark everyone present").click()

    expect(page).to_have_url(re.compile(rf"{re.escape(dashboard_url)}$"))
    expect(wagtail_message(page, f"Register saved for {SECOND_SESSION}: 6 learners marked.")).to_be_visible()
    for name in SYS03_LEARNERS:
        expect(roster_row(page, name)).to_contain_text("100% (2 of 2)")

    # Then one learner turns out to have come late: the register is changed, and late still counts as attended.
    page.get_by_role("link", name=f"Change the register for {SECOND_SESSION} (6 marks)").click()
    page.get_by_role("group", name="Mark for Ravi Patel").get_by_role("radio", name="Late").check()
    page.get_by_role("button", name="Save the register").click()
    expect(wagtail_message(page, f"Register saved for {SECOND_SESSION}")).to_be_visible()
    expect(roster_row(page, "Ravi Patel")).to_contain_text("100% (2 of 2)")
    second = Cohort.objects.get(code=RUNNING_COHORT).sessions.get(title=SECOND_SESSION)
    marks = dict(Attendance.objects.filter(session=second).values_list("enrolment__user__full_name", "mark"))
    assert marks == dict.fromkeys(SYS03_LEARNERS, AttendanceMark.PRESENT) | {"Ravi Patel": AttendanceMark.LATE}

    # A message to everyone with a confirmed place: one email each.
    page.get_by_role("link", name="Send a message").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Send a message")
    expect(page.get_by_role("radio", name="Everyone with a confirmed place (6)")).to_be_checked()
    page.get_by_label("Subject").fill("Session 3 moves online")
    page.get_by_label("Message").fill("Session 3 is online only: use the usual joining link.")
    page.get_by_role("button", name="Send the message").click()

    expect(page).to_have_url(re.compile(rf"{re.escape(dashboard_url)}$"))
    expect(wagtail_message(page, "Message 'Session 3 moves online' sent to 6 people.")).to_be_visible()
    sent = [message for message in mailoutbox if message.subject.startswith("Session 3 moves online")]
    assert sorted(email for message in sent for email in message.to) == sorted(SYS03_LEARNERS.values())
    assert all(len(message.to) == 1 for message in sent), "each learner gets their own email"
    messages_sent = page.get_by_role("region", name="Messages sent")
    expect(messages_sent).to_contain_text("Session 3 moves online")

    # Sign-off: a learner who meets the attendance rule but has not yet passed the required case exercise, so the
    # lead gives a reason for the override.
    page.get_by_role("link", name="Sign off completion").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sign off completion")
    learner = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Hannah Scott"))
    expect(learner).to_contain_text("Met: Attendance of at least 80%: 2 of 2 sessions held (100%)")
    expect(learner).to_contain_text("Not met: Pass 'Anticoagulation withheld around a procedure'")
    learner.get_by_role("checkbox").check()
    expect(page.get_by_role("radio", name="Completed", exact=True)).to_be_checked()
    page.get_by_role("button", name="Sign off", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Not met by: Hannah Scott.")
    page.get_by_label("Reason for overriding the completion rule").fill(
        "Worked the case with the lead in a face-to-face session after the online exercise failed to load."
    )
    page.get_by_role("button", name="Sign off", exact=True).click()

    expect(page).to_have_url(re.compile(rf"{re.escape(dashboard_url)}$"))
    expect(wagtail_message(page, "Signed off as completed: Hannah Scott.")).to_be_visible()
    expect(roster_row(page, "Hannah Scott")).to_contain_text("Completed")
    expect(roster_row(page, "Ravi Patel")).to_contain_text("Confirmed")
    statuses = dict(Cohort.objects.get(code=RUNNING_COHORT).enrolments.values_list("user__full_name", "status"))
    assert statuses["Hannah Scott"] == EnrolmentStatus.COMPLETED

    # A cohort of a course they do not lead does not exist as far as the lead is concerned.
    response = page.goto(f"{DASHBOARDS}{cohort_pk(OTHER_COURSE_COHORT)}/")
    assert response.status == 404
    # Wagtail's own admin 404 page, which names nothing of the cohort.
    expect(page.get_by_role("heading", level=1)).to_have_text("Error 404")
    expect(page.locator("body")).not_to_contain_text(OTHER_COURSE_COHORT)


# Accessibility ---------------------------------------------------------------------------------------------------------


def as_lead(page):
    sign_in_to_admin(page, COURSE_LEAD_EMAIL, with_authenticator(COURSE_LEAD_EMAIL))


def running_cohort_url(rest=""):
    return f"{DASHBOARDS}{cohort_pk(RUNNING_COHORT)}/{rest}"


def show_index(page):
    as_lead(page)
    page.goto(DASHBOARDS)


def show_dashboard(page):
    """The running cohort with a message sent and a learner signed off (an override, so its reason shows too)."""
    cohort = Cohort.objects.get(code=RUNNING_COHORT)
    lead = get_user_model().objects.get(email=COURSE_LEAD_EMAIL)
    services.cohort_message_send(
        cohort=cohort, audience=MessageAudience.CONFIRMED, subject="Reading", body="Read chapter 2.", by_user=lead
    )
    services.enrolments_sign_off(
        cohort=cohort,
        enrolments=cohort.enrolments.filter(user__email=SYS03_LEARNERS["Nadia Hussain"]),
        completed=True,
        by_user=lead,
        override_reason="Attended the missed session with another cohort.",
    )
    as_lead(page)
    page.goto(running_cohort_url())
    expect(page.get_by_role("heading", level=2, name="Roster (6)")).to_be_visible()
    expect(page.get_by_role("region", name="Messages sent")).to_contain_text("Reading")


def show_dashboard_with_waiting_list(page):
    as_lead(page)
    page.goto(f"{DASHBOARDS}{cohort_pk('SYS-02')}/")
    expect(page.get_by_role("button", name=re.compile("^Offer a place to"))).to_have_count(2)


def show_register(page):
    as_lead(page)
    second = Cohort.objects.get(code=RUNNING_COHORT).sessions.get(title=SECOND_SESSION)
    page.goto(running_cohort_url(f"register/{second.pk}/"))
    expect(page.get_by_role("button", name="Mark everyone present")).to_be_visible()


def show_joining_details(page):
    as_lead(page)
    page.goto(running_cohort_url("joining/"))
    expect(page.get_by_role("button", name="Save joining details")).to_be_visible()


def show_message(page):
    as_lead(page)
    page.goto(running_cohort_url("message/"))


def show_message_with_errors(page):
    show_message(page)
    page.get_by_role("button", name="Send the message").click()
    expect(wagtail_message(page, "Nothing was changed: correct the errors below.")).to_be_visible()
    expect(page.get_by_role("textbox", name="Subject")).to_have_attribute("aria-invalid", "true")


def show_sign_off(page):
    as_lead(page)
    page.goto(running_cohort_url("sign-off/"))


def show_sign_off_with_errors(page):
    show_sign_off(page)
    page.get_by_role("button", name="Sign off", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one learner.")


def show_group_enrolment(page):
    as_lead(page)
    page.goto(running_cohort_url("enrol-group/"))


def show_group_enrolment_outcome(page):
    """The page after an upload: what happened to each row, with the form again for another file."""
    show_group_enrolment(page)
    page.get_by_label("Organisation").fill("Leeds Teaching Hospitals NHS Trust")
    rows = "name,email\nNia Evans,nia.evans@nhs.net\nNadia Hussain,nadia.hussain@nhs.net\nNo Address,not-an-email\n"
    page.get_by_label("CSV file").set_input_files(
        {"name": "group.csv", "mimeType": "text/csv", "buffer": rows.encode()}
    )
    page.get_by_role("button", name="Upload and enrol").click()
    expect(page.get_by_role("heading", level=2, name="What happened to each row")).to_be_visible()


def show_report(page):
    sign_in_to_admin(page, ADMIN_EMAIL, with_authenticator(ADMIN_EMAIL))
    page.goto("/admin/courses/report/")
    expect(page.get_by_role("table")).to_contain_text(RUNNING_COHORT)


PAGES = {
    "dashboard index": show_index,
    "cohort dashboard": show_dashboard,
    "cohort dashboard with waiting list": show_dashboard_with_waiting_list,
    "register": show_register,
    "joining details": show_joining_details,
    "message": show_message,
    "message with errors": show_message_with_errors,
    "sign-off": show_sign_off,
    "sign-off with errors": show_sign_off_with_errors,
    "group enrolment": show_group_enrolment,
    "group enrolment outcome": show_group_enrolment_outcome,
    "report as course administrator": show_report,
}


@pytest.mark.parametrize("show", PAGES.values(), ids=PAGES.keys())
def test_no_serious_or_critical_violations(page, axe, show):
    show(page)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # Wagtail fades its messages in over half a second: axe measuring contrast mid-fade sees a paler red and reports it.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.messages > ul')].every(list => getComputedStyle(list).opacity === '1')"
    )

    assert_no_blocking_violations(axe, page)
