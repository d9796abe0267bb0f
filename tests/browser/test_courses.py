"""Courses in a real browser: enrolling free and by invoice, accepting a waiting-list offer, and axe on the learner pages.

The demo (courses/demo.py) gives the flagship course three cohorts: SYS-01 open with places, SYS-02 full with two people
(who cannot sign in) on its waiting list, SYS-03 closed. The journeys sign in as the demo NHS and external learners.
"""

import re

from django.utils.formats import date_format

import pytest
from playwright.sync_api import expect

from courses import services
from courses.demo import COURSES
from courses.models import Cohort, Enrolment, EnrolmentStatus
from tests.browser.accounts import EXTERNAL_LEARNER, NHS_LEARNER, sign_in, submit_sign_in, user
from tests.browser.axe import assert_no_blocking_violations

pytestmark = pytest.mark.browser

FLAGSHIP = COURSES[0]
FLAGSHIP_TITLE = FLAGSHIP["title"]
FLAGSHIP_PATH = f"/courses/{FLAGSHIP['slug']}/"
SECOND_COURSE_TITLE = COURSES[1]["title"]
OPEN_COHORT, FULL_COHORT = "SYS-01", "SYS-02"
NHS_QUESTION = "Do you work for an NHS organisation in England?"


# Helpers ---------------------------------------------------------------------------------------------------------------


def starts(code):
    """How the pages name a cohort: by its start date, '5 March 2026'."""
    return date_format(Cohort.objects.get(code=code).starts_on, "j F Y")


def summary_value(scope, key):
    """The value cell of the NHS.UK summary-list row whose key is `key`."""
    page = getattr(scope, "page", scope)  # a `has` locator is matched inside each row, so it starts from the page
    row = scope.locator(".nhsuk-summary-list__row").filter(has=page.get_by_role("term").filter(has_text=key))
    return row.get_by_role("definition").first


def enrolment_card(page, title, cohort=None):
    """A card on My learning, found by its heading (the course title) and, where the learner has several places on
    the course (the demo NHS learner is also on the running cohort), by its cohort."""
    card = page.locator(".site-enrolment").filter(has=page.get_by_role("heading", name=title, exact=True))
    return card.filter(has_text=f"Cohort {cohort}") if cohort else card


def open_flagship_from_catalogue(page):
    # The catalogue is in the site's menu; at 1280 pixels wide the link may also sit under "More".
    menu = page.get_by_role("navigation", name="Menu")
    courses = menu.get_by_role("link", name="Courses", exact=True)
    if not courses.is_visible():
        menu.get_by_role("button", name=re.compile("More")).click()
    courses.click()
    expect(page).to_have_url(re.compile(r"/courses/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Courses")
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", level=2, name=SECOND_COURSE_TITLE)).to_be_visible()
    main.get_by_role("heading", level=2, name=FLAGSHIP_TITLE).get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(FLAGSHIP_PATH)}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(FLAGSHIP_TITLE)


def declare(page, *, works_for_nhs_england, employer=""):
    """Step 1: answer the declaration and continue to the check page."""
    question = page.get_by_role("group", name=NHS_QUESTION)
    question.get_by_role("radio", name="Yes" if works_for_nhs_england else "No", exact=True).check()
    if employer:
        page.get_by_label("Your employer").fill(employer)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before you enrol")


def emails_to(outbox, email):
    return [message.subject for message in outbox if email in message.to]


# Journeys --------------------------------------------------------------------------------------------------------------


def test_nhs_learner_enrols_free_and_sees_the_course_in_my_learning(page, mailoutbox):
    date = starts(OPEN_COHORT)
    sign_in(page, NHS_LEARNER)
    open_flagship_from_catalogue(page)

    page.get_by_role("link", name=f"Enrol on the cohort starting {date}").click()

    expect(page).to_have_url(re.compile(rf"/courses/cohorts/{OPEN_COHORT}/enrol/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Enrol on the cohort starting {date}")
    # Before answering, the learner sees what each answer means for them.
    expect(page.get_by_role("main")).to_contain_text(
        "if you work for an NHS organisation in England, your place is free"
    )
    expect(page.get_by_role("main")).to_contain_text("if you do not, the fee is £450.00")
    declare(page, works_for_nhs_england=True, employer="Northfield Hospitals NHS Foundation Trust")

    fee = page.get_by_role("heading", name="What you will pay").locator("xpath=following-sibling::dl[1]")
    expect(summary_value(fee, "Fee band")).to_have_text("Free: NHS staff in England")
    expect(summary_value(fee, "Amount")).to_have_text("Free")
    expect(summary_value(fee, "Why")).to_have_text(
        f"Free: your verified email {NHS_LEARNER} is on an NHS England domain and you work for an NHS organisation in "
        "England."
    )
    expect(summary_value(page, "Your employer")).to_have_text("Northfield Hospitals NHS Foundation Trust")
    page.get_by_role("button", name="Confirm and enrol").click()

    expect(page).to_have_url(re.compile(r"/my-learning/$"))
    expect(page.get_by_role("status").filter(has_text="is confirmed")).to_contain_text(
        f"Your place on {FLAGSHIP_TITLE} ({OPEN_COHORT}) is confirmed."
    )
    expect(page.get_by_role("heading", level=2, name="Your courses")).to_be_visible()
    card = enrolment_card(page, FLAGSHIP_TITLE, OPEN_COHORT)
    expect(card).to_have_count(1)
    expect(card.get_by_text("Confirmed", exact=True)).to_be_visible()
    expect(card).to_contain_text(f"Cohort {OPEN_COHORT}")
    expect(card.get_by_role("link", name=f"Join the session online for {FLAGSHIP_TITLE}")).to_have_attribute(
        "href", f"https://meet.example.org/{OPEN_COHORT.lower()}"
    )
    expect(summary_value(card, "Joining instructions")).to_contain_text("Join from a quiet place with a headset.")
    expect(summary_value(card, "Next session")).to_contain_text("1. Why a systems approach")
    expect(card.get_by_role("link", name=re.compile(r"^Add the sessions to your calendar"))).to_be_visible()

    enrolment = Enrolment.objects.get(user__email=NHS_LEARNER, cohort__code=OPEN_COHORT)
    assert (enrolment.status, enrolment.fee_pence) == (EnrolmentStatus.CONFIRMED, 0)
    assert enrolment.employer == "Northfield Hospitals NHS Foundation Trust"
    assert "Your place is confirmed" in " ".join(emails_to(mailoutbox, NHS_LEARNER))


def test_external_learner_sees_the_fee_and_requests_an_invoice(page, mailoutbox):
    date = starts(OPEN_COHORT)
    sign_in(page, EXTERNAL_LEARNER)
    open_flagship_from_catalogue(page)
    page.get_by_role("link", name=f"Enrol on the cohort starting {date}").click()

    expect(page.get_by_role("main")).to_contain_text("The fee for you is £450.00")
    declare(page, works_for_nhs_england=False)

    fee = page.get_by_role("heading", name="What you will pay").locator("xpath=following-sibling::dl[1]")
    expect(summary_value(fee, "Fee band")).to_have_text("External learner")
    expect(summary_value(fee, "Amount")).to_contain_text("£450.00")
    expect(summary_value(fee, "Why")).to_contain_text("you have no verified email address on an NHS England domain")
    # No Stripe keys in the tests: card payment is not offered at all, so there is no choice to make.
    expect(page.get_by_role("radio")).to_have_count(0)
    expect(page.get_by_role("main").get_by_text(re.compile(r"\bcard\b", re.IGNORECASE))).to_have_count(0)
    expect(page.get_by_role("main")).to_contain_text("We will invoice your organisation.")

    page.get_by_label("Organisation to invoice").fill("Harbour Independent Clinic")
    page.get_by_label("Billing contact").fill("Sam Ledger")
    page.get_by_label("Billing email address").fill("accounts@harbour.example.com")
    page.get_by_label("Purchase-order number").fill("PO-77341")
    page.get_by_role("button", name="Confirm and request an invoice").click()

    expect(page).to_have_url(re.compile(r"/my-learning/$"))
    expect(page.get_by_role("status").filter(has_text="invoice request")).to_contain_text(
        f"We have your invoice request for {FLAGSHIP_TITLE} ({OPEN_COHORT})."
    )
    expect(page.get_by_role("heading", level=2, name="Waiting for payment")).to_be_visible()
    card = enrolment_card(page, FLAGSHIP_TITLE)
    expect(card.get_by_text("Awaiting payment", exact=True)).to_be_visible()
    expect(card).to_contain_text("We have your invoice request for £450.00.")
    expect(summary_value(card, "Organisation")).to_have_text("Harbour Independent Clinic")
    expect(summary_value(card, "Billing contact")).to_have_text("Sam Ledger (accounts@harbour.example.com)")
    expect(summary_value(card, "Purchase order")).to_have_text("PO-77341")
    # The joining link is for confirmed learners only.
    expect(card.get_by_role("link", name=re.compile("Join the session online"))).to_have_count(0)

    enrolment = Enrolment.objects.get(user__email=EXTERNAL_LEARNER, cohort__code=OPEN_COHORT)
    assert (enrolment.status, enrolment.fee_pence) == (EnrolmentStatus.AWAITING_PAYMENT, 45000)
    payment = enrolment.payments.get()
    assert (payment.method, payment.purchase_order) == ("invoice", "PO-77341")
    assert "We have your invoice request" in " ".join(emails_to(mailoutbox, EXTERNAL_LEARNER))


def test_learner_on_the_waiting_list_accepts_an_offered_place(page, mailoutbox):
    date = starts(FULL_COHORT)
    sign_in(page, NHS_LEARNER)
    page.goto(FLAGSHIP_PATH)
    page.get_by_role("link", name=f"Join the waiting list for the cohort starting {date}").click()
    declare(page, works_for_nhs_england=True, employer="Northfield Hospitals NHS Foundation Trust")
    expect(page.get_by_role("main")).to_contain_text("This cohort is full. When you continue you join the waiting list")
    page.get_by_role("button", name="Join the waiting list").click()

    expect(page).to_have_url(re.compile(r"/my-learning/$"))
    expect(page.get_by_role("status").filter(has_text="waiting list")).to_contain_text("at number 3")
    card = enrolment_card(page, FLAGSHIP_TITLE, FULL_COHORT)
    expect(card.get_by_text("On the waiting list", exact=True)).to_be_visible()
    expect(card).to_contain_text("You are number 3 on the waiting list.")
    page.get_by_role("navigation", name="Your account").get_by_role("link", name="Sign out").click()
    page.get_by_role("main").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("navigation", name="Your account").get_by_role("link", name="Sign in")).to_be_visible()

    # Meanwhile a confirmed learner withdraws, and the two ahead in the queue (who cannot sign in) decline in turn.
    cohort = Cohort.objects.get(code=FULL_COHORT)
    confirmed = cohort.enrolments.filter(status=EnrolmentStatus.CONFIRMED).order_by("pk").first()
    services.enrolment_withdraw(enrolment=confirmed, user=confirmed.user)
    for _ahead in range(2):
        offered = cohort.enrolments.get(status=EnrolmentStatus.OFFERED)
        assert offered.user.email != NHS_LEARNER
        services.offer_decline(enrolment=offered, user=offered.user)
    assert cohort.enrolments.get(status=EnrolmentStatus.OFFERED).user.email == NHS_LEARNER

    # The learner follows the link in the offer email, signs in and lands on My learning.
    offers = [m for m in mailoutbox if NHS_LEARNER in m.to and m.subject.startswith("A place is available for you")]
    assert len(offers) == 1, [(m.to, m.subject) for m in mailoutbox]
    link = re.search(r"https?://\S+(/my-learning/)", offers[0].body)
    assert link, offers[0].body
    page.goto(link.group(1))
    submit_sign_in(page, NHS_LEARNER)

    expect(page).to_have_url(re.compile(r"/my-learning/$"))
    expect(page.get_by_role("heading", level=2, name="Places offered to you")).to_be_visible()
    card = enrolment_card(page, FLAGSHIP_TITLE, FULL_COHORT)
    expect(card.get_by_text("Place offered", exact=True)).to_be_visible()
    expect(card).to_contain_text("A place has come up for you.")
    expect(card).to_contain_text(f"Cohort {FULL_COHORT}")
    card.get_by_role("button", name=f"Accept this place on {FLAGSHIP_TITLE}").click()

    expect(page).to_have_url(re.compile(r"/my-learning/$"))
    expect(page.get_by_role("status").filter(has_text="is confirmed")).to_contain_text(
        f"Your place on {FLAGSHIP_TITLE} ({FULL_COHORT}) is confirmed."
    )
    expect(page.get_by_role("heading", level=2, name="Places offered to you")).to_have_count(0)
    card = enrolment_card(page, FLAGSHIP_TITLE, FULL_COHORT)
    expect(card.get_by_text("Confirmed", exact=True)).to_be_visible()
    expect(card.get_by_role("link", name=f"Join the session online for {FLAGSHIP_TITLE}")).to_have_attribute(
        "href", f"https://meet.example.org/{FULL_COHORT.lower()}"
    )
    enrolment = Enrolment.objects.get(user__email=NHS_LEARNER, cohort__code=FULL_COHORT)
    assert (enrolment.status, enrolment.fee_pence) == (EnrolmentStatus.CONFIRMED, 0)
    assert cohort.enrolments.filter(status=EnrolmentStatus.CONFIRMED).count() == cohort.capacity


# Accessibility ---------------------------------------------------------------------------------------------------------


def show_catalogue(page):
    page.goto("/courses/")


def show_course(page):
    page.goto(FLAGSHIP_PATH)


def show_declaration(page):
    sign_in(page, EXTERNAL_LEARNER)
    page.goto(f"/courses/cohorts/{OPEN_COHORT}/enrol/")
    expect(page.get_by_role("group", name=NHS_QUESTION)).to_be_visible()


def show_declaration_error(page):
    sign_in(page, NHS_LEARNER)
    page.goto(f"/courses/cohorts/{OPEN_COHORT}/enrol/")
    page.get_by_role("group", name=NHS_QUESTION).get_by_role("radio", name="Yes", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the name of the NHS organisation you work for")


def show_check_free(page):
    sign_in(page, NHS_LEARNER)
    page.goto(f"/courses/cohorts/{OPEN_COHORT}/enrol/")
    declare(page, works_for_nhs_england=True, employer="Northfield Hospitals NHS Foundation Trust")


def show_check_invoice(page):
    sign_in(page, EXTERNAL_LEARNER)
    page.goto(f"/courses/cohorts/{OPEN_COHORT}/enrol/")
    declare(page, works_for_nhs_england=False)
    expect(page.get_by_label("Purchase-order number")).to_be_visible()


def show_check_invoice_error(page):
    show_check_invoice(page)
    page.get_by_label("Billing email address").fill("not-an-email")
    page.get_by_role("button", name="Confirm and request an invoice").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Enter the name of the organisation to invoice")
    expect(alert).to_contain_text("Enter the billing email address in the right format")


def show_my_learning(page):
    """My learning with a confirmed place, an invoice awaiting payment and a waiting-list entry."""
    learner = user(NHS_LEARNER)
    invoice = {
        "organisation": "Northfield Hospitals NHS Foundation Trust",
        "billing_contact": "Accounts payable",
        "billing_email": "accounts@nhs.net",
        "purchase_order": "PO-1",
    }
    cohorts = {cohort.code: cohort for cohort in Cohort.objects.all()}
    services.enrolment_request(cohort=cohorts["HFE-01"], user=learner, declared_nhs_england_employer=True)
    services.enrolment_request(
        cohort=cohorts[OPEN_COHORT],
        user=learner,
        declared_nhs_england_employer=False,
        payment_method="invoice",
        invoice=invoice,
    )
    services.enrolment_request(cohort=cohorts[FULL_COHORT], user=learner, declared_nhs_england_employer=True)
    sign_in(page, NHS_LEARNER)
    page.goto("/my-learning/")
    for heading in ["Your courses", "Waiting for payment", "Waiting lists"]:
        expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()


def show_my_learning_offer(page):
    """My learning with a place offered from the waiting list."""
    learner = user(NHS_LEARNER)
    cohort = Cohort.objects.get(code=FULL_COHORT)
    services.enrolment_request(cohort=cohort, user=learner, declared_nhs_england_employer=True)
    Cohort.objects.filter(pk=cohort.pk).update(capacity=cohort.capacity + 3)
    services.cohort_offer_free_seats(cohort=cohort)
    sign_in(page, NHS_LEARNER)
    page.goto("/my-learning/")
    expect(page.get_by_role("heading", level=2, name="Places offered to you")).to_be_visible()


PAGES = {
    "catalogue": show_catalogue,
    "course": show_course,
    "enrol declaration": show_declaration,
    "enrol declaration with error": show_declaration_error,
    "enrol check free": show_check_free,
    "enrol check invoice": show_check_invoice,
    "enrol check invoice with errors": show_check_invoice_error,
    "my learning": show_my_learning,
    "my learning with offer": show_my_learning_offer,
}


@pytest.mark.parametrize("show", PAGES.values(), ids=PAGES.keys())
def test_no_serious_or_critical_violations(page, axe, show):
    show(page)
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    assert_no_blocking_violations(axe, page)


def test_nhsuk_frontend_starts_and_its_error_summary_takes_focus(page):
    """The header, error summary and buttons come from NHS.UK frontend's JavaScript, which starts only where the page
    marks the browser as supported; a form with errors then puts focus on its summary for screen-reader users."""
    page_errors = []
    page.on("pageerror", lambda error: page_errors.append(error))

    show_declaration_error(page)

    expect(page.locator("body")).to_have_class(re.compile(r"\bnhsuk-frontend-supported\b"))
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Your employer")).to_be_focused()
    assert page_errors == []
