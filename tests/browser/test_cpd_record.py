"""My CPD record in a real browser: the demo NHS learner opens it from the account navigation, logs an external activity
with a reflection (after a first try with mistakes), and sees it listed and counted; axe checks each page on the way.

The demo gives this learner a certificate and a logged activity; the journey counts from whatever the record holds when
it starts, so it depends on no demo numbers.
"""

import datetime
import re
from decimal import Decimal

from django.utils import timezone

import pytest
from playwright.sync_api import expect

from certificates.models import CPDActivity
from certificates.record import cpd_record
from tests.browser.accounts import NHS_LEARNER, sign_in, user
from tests.browser.axe import assert_no_blocking_violations

pytestmark = pytest.mark.browser

TITLE = "Patient safety incident response framework: regional learning event"
HOURS = Decimal("4.5")
REFLECTION = {
    "What was the nature of the CPD activity?": "A one-day regional event on the incident response framework.",
    "What did you learn from the CPD activity?": "How a learning response looks at the system, not the individual.",
    "How did you change or improve your practice as a result?": "I now run after-action reviews with the whole team.",
    "How is this relevant to the Code?": "Preserve safety, and promote professionalism and trust.",
}


def hours(value) -> str:
    """Hours as the record shows them: '18', '22.5'."""
    return f"{value:.1f}".removesuffix(".0")


def summary_value(page, key):
    row = page.locator(".nhsuk-summary-list__row").filter(has=page.get_by_role("term").filter(has_text=key))
    return row.get_by_role("definition").first


def test_demo_learner_logs_an_external_activity_with_a_reflection(page, axe):
    learner = user(NHS_LEARNER)
    before = cpd_record(user=learner).progress
    sign_in(page, NHS_LEARNER)

    page.get_by_role("navigation", name="Your account").get_by_role("link", name="My CPD record").click()
    expect(page).to_have_url(re.compile(r"/my-cpd/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My CPD record")
    expect(summary_value(page, "CPD hours")).to_contain_text(f"{hours(before.hours.done)} of 35 hours")
    assert_no_blocking_violations(axe, page, "the CPD record")

    page.get_by_role("link", name="Log a CPD activity").click()
    expect(page).to_have_url(re.compile(r"/my-cpd/activities/add/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a CPD activity")
    assert_no_blocking_violations(axe, page, "the add-activity form")

    # A first try: no answer to "participatory", hours in words and a date that cannot be.
    page.get_by_label("Title of the activity").fill(TITLE)
    date = page.get_by_role("group", name="Date of the activity")
    date.get_by_label("Day").fill("31")
    date.get_by_label("Month").fill("2")
    date.get_by_label("Year").fill(str(timezone.localdate().year))
    page.get_by_label("Hours").fill("four and a half")
    page.get_by_role("button", name="Save activity").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("There is a problem")
    expect(alert).to_contain_text("Select the type of activity")
    expect(alert).to_contain_text("Date of the activity must be a real date")
    expect(alert).to_contain_text("Hours must be a number, like 1.5")
    expect(alert).to_contain_text("Select yes if the activity was participatory")
    expect(page).to_have_title(re.compile(r"^Error: Log a CPD activity"))
    expect(page.get_by_label("Title of the activity")).to_have_value(TITLE)
    assert_no_blocking_violations(axe, page, "the add-activity form with errors")
    assert not CPDActivity.objects.filter(user=learner, title=TITLE).exists()

    # The error summary takes the learner to the question.
    alert.get_by_role("link", name="Date of the activity must be a real date").click()
    expect(date.get_by_label("Day")).to_be_focused()

    day = timezone.localdate() - datetime.timedelta(days=10)
    page.get_by_label("Provider (optional)").fill("North West Patient Safety Collaborative")
    page.get_by_role("group", name="Type of activity").get_by_role("radio", name="Conference or seminar").check()
    date.get_by_label("Day").fill(str(day.day))
    date.get_by_label("Month").fill(str(day.month))
    date.get_by_label("Year").fill(str(day.year))
    page.get_by_label("Hours").fill(str(HOURS))
    page.get_by_role("group", name="Was it participatory?").get_by_role("radio", name="Yes").check()
    for question, answer in REFLECTION.items():
        page.get_by_label(question).fill(answer)
    page.get_by_label("Evidence (optional)").set_input_files(
        files=[{"name": "attendance.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 attendance"}]
    )
    page.get_by_role("button", name="Save activity").click()

    expect(page).to_have_url(re.compile(r"/my-cpd/$"))
    expect(page.get_by_role("status").filter(has_text="is now in your CPD record")).to_contain_text(
        f"“{TITLE}” is now in your CPD record."
    )
    row = page.locator(".site-cpd-activities tbody tr").filter(has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Conference or seminar, North West Patient Safety Collaborative")
    expect(row).to_contain_text(day.strftime("%-d %B %Y"))
    expect(row.locator("td").nth(2)).to_contain_text(hours(HOURS))
    expect(row.get_by_text("Written", exact=True)).to_be_visible()
    expect(row.get_by_role("link", name=f"Download the evidence for {TITLE}")).to_be_visible()

    after = before.hours.done + HOURS
    expect(summary_value(page, "CPD hours")).to_contain_text(f"{hours(after)} of 35 hours")
    expect(summary_value(page, "Participatory hours")).to_contain_text(
        f"{hours(before.participatory_hours.done + HOURS)} of 20 hours"
    )
    expect(summary_value(page, "Written reflective accounts")).to_contain_text(f"{before.reflections.done + 1} of 5")
    assert_no_blocking_violations(axe, page, "the CPD record with the new activity")

    logged = CPDActivity.objects.get(user=learner, title=TITLE)
    assert (logged.date, logged.hours, logged.participatory, logged.has_reflection) == (day, HOURS, True, True)
    assert cpd_record(user=learner).progress.hours.done == after


def test_demo_learner_sets_the_revalidation_date_and_the_totals_follow_it(page, axe):
    due = timezone.localdate() + datetime.timedelta(days=200)
    sign_in(page, NHS_LEARNER)
    page.goto("/my-cpd/")
    expect(page.locator(".site-cpd-period")).to_contain_text("three years up to today")
    page.get_by_role("link", name="Add your revalidation date").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your revalidation date")

    question = page.get_by_role("group", name="When is your next revalidation due?")
    question.get_by_label("Day").fill(str(due.day))
    question.get_by_label("Year").fill(str(due.year))
    page.get_by_role("button", name="Save revalidation date").click()
    expect(page.get_by_role("alert")).to_contain_text("Revalidation date must include a month")
    assert_no_blocking_violations(axe, page, "the revalidation date form with an error")

    question.get_by_label("Month").fill(str(due.month))
    page.get_by_role("button", name="Save revalidation date").click()
    expect(page).to_have_url(re.compile(r"/my-cpd/$"))
    expect(page.locator(".site-cpd-period")).to_contain_text(
        f"Your revalidation is due on {due.strftime('%-d %B %Y')}."
    )
    assert user(NHS_LEARNER).cpd_profile.revalidation_due == due
