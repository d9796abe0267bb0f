"""The learner's journeys through the site: enrolment steps, My learning and its actions, receipts and calendars."""

import datetime
from http import HTTPStatus

from django.core import mail
from django.test import Client
from django.utils import timezone

import pytest
from icalendar import Calendar

from accounts.factories import UserFactory
from courses.emails import KINDS, enrolment_email_send
from courses.factories import (
    CohortFactory,
    CohortSessionFactory,
    CourseIndexPageFactory,
    CoursePageFactory,
    EnrolmentFactory,
)
from courses.models import (
    CourseInterest,
    Enrolment,
    EnrolmentStatus,
    FeeBand,
    Payment,
    PaymentMethod,
    PaymentStatus,
    VatStatus,
)
from courses.templatetags.learning_tags import clock, moment, pounds
from tests.conftest import verified
from tests.content.helpers import soup, texts
from tests.courses.fakes import use_fake_payments

pytestmark = pytest.mark.django_db

INVOICE = {
    "payment_method": "invoice",
    "organisation": "Bwrdd Iechyd Prifysgol Caerdydd a'r Fro",
    "billing_contact": "Rhian Evans",
    "billing_email": "accounts@example.org",
    "purchase_order": "PO-88213",
}


@pytest.fixture
def course(home_page):
    catalogue = CourseIndexPageFactory(parent=home_page)
    return CoursePageFactory(
        parent=catalogue, title="A systems approach to investigating patient safety incidents", external_fee_pence=45000
    )


@pytest.fixture
def cohort(course):
    cohort = CohortFactory(
        course=course,
        code="SYS-01",
        capacity=10,
        joining_instructions="Join ten minutes early to test your sound.",
        joining_link="https://meet.example.org/sys-01",
    )
    CohortSessionFactory(cohort=cohort, title="Systems thinking")
    return cohort


@pytest.fixture
def nhs_learner():
    return verified(UserFactory(email="sam.patel@nhs.net", full_name="Sam Patel"))


@pytest.fixture
def gmail_learner():
    return verified(UserFactory(email="jo.morgan@gmail.com", full_name="Jo Morgan"))


def enrol_url(cohort):
    return f"/courses/cohorts/{cohort.code}/enrol/"


def check_url(cohort):
    return f"/courses/cohorts/{cohort.code}/enrol/check/"


def declare(client, cohort, answer="yes", employer="Leeds Teaching Hospitals NHS Trust"):
    response = client.post(enrol_url(cohort), {"works_for_nhs_england": answer, "employer": employer})
    assert response.status_code == HTTPStatus.FOUND, response.content
    assert response.url == check_url(cohort)
    return response


def error_summary(response):
    summary = soup(response).select_one(".nhsuk-error-summary")
    return " ".join(summary.get_text().split()) if summary else ""


def page_text(response):
    return " ".join(soup(response).get_text().split())


def shown_messages(response):
    return texts(soup(response).select(".site-message p"))


# Enrolling -------------------------------------------------------------------------------------------------------------


def test_enrolment_asks_anonymous_visitors_to_sign_in(client, cohort):
    response = client.get(enrol_url(cohort))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith("/account/login/?next=/courses/cohorts/SYS-01/enrol/")


def test_unknown_cohort_is_not_found(client, nhs_learner):
    client.force_login(nhs_learner)
    assert client.get("/courses/cohorts/NOPE/enrol/").status_code == HTTPStatus.NOT_FOUND


def test_nhs_learner_sees_what_each_answer_means_for_the_fee(client, cohort, nhs_learner):
    client.force_login(nhs_learner)
    text = page_text(client.get(enrol_url(cohort)))
    assert "if you work for an NHS organisation in England, your place is free" in text
    assert "if you do not, the fee is £450.00" in text
    assert "Do you work for an NHS organisation in England?" in text


def test_nhs_learner_enrols_free_and_is_confirmed_with_an_email(client, cohort, nhs_learner):
    client.force_login(nhs_learner)
    declare(client, cohort)

    check = client.get(check_url(cohort))
    decision = " ".join(texts(soup(check).select(".site-fee-decision dd")))
    assert "Free: NHS staff in England" in decision
    assert "sam.patel@nhs.net" in decision
    assert not Enrolment.objects.exists(), "checking the answers changes nothing"

    response = client.post(check_url(cohort), follow=True)

    enrolment = Enrolment.objects.get(user=nhs_learner)
    assert enrolment.status == EnrolmentStatus.CONFIRMED
    assert enrolment.fee_band == FeeBand.FREE and enrolment.fee_pence == 0
    assert enrolment.employer == "Leeds Teaching Hospitals NHS Trust"
    assert response.redirect_chain[-1][0] == "/my-learning/"
    assert any("is confirmed" in message for message in shown_messages(response))
    [email] = mail.outbox
    assert email.to == ["sam.patel@nhs.net"]
    assert email.subject.startswith("Your place is confirmed")
    assert "Join ten minutes early" in email.body and "https://meet.example.org/sys-01" in email.body
    assert any(name == "SYS-01.ics" for name, _content, _type in email.attachments)
    assert "https://meet.example.org/sys-01" in email.alternatives[0][0]


def test_declaring_yes_needs_an_employer(client, cohort, nhs_learner):
    client.force_login(nhs_learner)
    response = client.post(enrol_url(cohort), {"works_for_nhs_england": "yes", "employer": "  "})
    nothing = client.post(enrol_url(cohort), {})
    assert response.status_code == HTTPStatus.OK
    assert "Enter the name of the NHS organisation you work for" in error_summary(response)
    assert "Select yes if you work for an NHS organisation in England" in error_summary(nothing)
    assert client.get(check_url(cohort)).url == enrol_url(cohort), "no answers saved, so back to step 1"


def test_gmail_learner_sees_the_fee_and_why_and_requests_an_invoice(client, cohort, gmail_learner):
    client.force_login(gmail_learner)
    first = page_text(client.get(enrol_url(cohort)))
    assert "The fee for you is £450.00" in first
    assert "no verified email address on an NHS England domain" in first

    declare(client, cohort, answer="yes", employer="Cardiff and Vale University Health Board")
    check = client.get(check_url(cohort))
    decision = " ".join(texts(soup(check).select(".site-fee-decision dd")))
    assert "External learner" in decision and "£450.00" in decision
    assert "VAT: Exempt from VAT (education)" in decision
    assert "no verified email address on an NHS England domain" in decision
    assert not soup(check).select("input[value=card]"), "no Stripe keys: no card option"

    response = client.post(check_url(cohort), INVOICE, follow=True)

    enrolment = Enrolment.objects.get(user=gmail_learner)
    assert enrolment.status == EnrolmentStatus.AWAITING_PAYMENT
    assert enrolment.fee_band == FeeBand.EXTERNAL and enrolment.fee_pence == 45000
    payment = enrolment.payments.get()
    assert (payment.method, payment.status, payment.purchase_order) == ("invoice", "pending", "PO-88213")
    assert any("invoice request" in message for message in shown_messages(response))
    assert "PO-88213" in page_text(response)
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["We have your invoice request"]


def test_fee_with_standard_vat_shows_the_vat_line(client, cohort, gmail_learner, course):
    course.vat_status = VatStatus.STANDARD
    course.save_revision().publish()
    client.force_login(gmail_learner)
    declare(client, cohort, answer="no", employer="")
    decision = " ".join(texts(soup(client.get(check_url(cohort))).select(".site-fee-decision dd")))
    assert "£450.00" in decision and "Includes VAT of £75.00" in decision


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"purchase_order": ""}, "Enter the purchase-order number"),
        ({"billing_email": "not-an-email"}, "Enter the billing email address in the right format"),
        ({"organisation": "   "}, "Enter the name of the organisation to invoice"),
        ({"payment_method": ""}, "Select how you will pay"),
        ({"payment_method": "card"}, "Select a valid choice"),
    ],
)
def test_bad_invoice_data_is_refused_and_creates_nothing(client, cohort, gmail_learner, change, message):
    client.force_login(gmail_learner)
    declare(client, cohort, answer="no", employer="")
    response = client.post(check_url(cohort), {**INVOICE, **change})
    assert response.status_code == HTTPStatus.OK
    assert message in error_summary(response)
    assert not Enrolment.objects.exists() and not Payment.objects.exists()
    assert not mail.outbox


def test_card_payment_goes_to_checkout_when_stripe_is_configured(client, cohort, gmail_learner, settings):
    fake = use_fake_payments(settings)
    client.force_login(gmail_learner)
    declare(client, cohort, answer="no", employer="")
    assert soup(client.get(check_url(cohort))).select("input[value=card]")

    response = client.post(check_url(cohort), {"payment_method": "card"})

    enrolment = Enrolment.objects.get(user=gmail_learner)
    assert enrolment.status == EnrolmentStatus.AWAITING_PAYMENT and enrolment.hold_expires_at
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith("https://checkout.stripe.test/")
    assert fake.checkout_calls[0]["success_url"] == "http://testserver/my-learning/?payment=done"


def test_full_cohort_puts_the_learner_on_the_waiting_list_with_their_position(client, cohort, nhs_learner):
    cohort.capacity = 1
    cohort.save()
    EnrolmentFactory(cohort=cohort)
    EnrolmentFactory(cohort=cohort, status=EnrolmentStatus.WAITLISTED, waitlisted_at=timezone.now())
    client.force_login(nhs_learner)
    declare(client, cohort)
    assert "This cohort is full" in page_text(client.get(check_url(cohort)))

    response = client.post(check_url(cohort), follow=True)

    enrolment = Enrolment.objects.get(user=nhs_learner)
    assert enrolment.status == EnrolmentStatus.WAITLISTED
    assert any("waiting list at number 2" in message for message in shown_messages(response))
    assert "You are number 2 on the waiting list." in page_text(response)
    assert "number 2" in mail.outbox[-1].body


def test_external_learner_joins_a_full_waiting_list_without_payment_details(client, cohort, gmail_learner):
    cohort.capacity = 1
    cohort.save()
    EnrolmentFactory(cohort=cohort)
    client.force_login(gmail_learner)
    declare(client, cohort, answer="no", employer="")
    check = client.get(check_url(cohort))
    assert "You choose how to pay, and pay, only if you accept the offer." in page_text(check)
    assert not soup(check).select("input[name=payment_method]")

    response = client.post(check_url(cohort), follow=True)

    enrolment = Enrolment.objects.get(user=gmail_learner)
    assert enrolment.status == EnrolmentStatus.WAITLISTED
    assert enrolment.fee_band == FeeBand.EXTERNAL and not enrolment.payments.exists()
    assert any("waiting list at number 1" in message for message in shown_messages(response))


def test_closed_cohort_says_so_and_creates_nothing(client, cohort, nhs_learner):
    client.force_login(nhs_learner)
    declare(client, cohort)
    cohort.enrolment_closes_at = timezone.now() - datetime.timedelta(minutes=1)
    cohort.save()

    shown = client.get(enrol_url(cohort))
    response = client.post(check_url(cohort))

    assert "Enrolment for this cohort is closed." in error_summary(shown)
    assert not soup(shown).select("form[method=post]")
    assert response.status_code == HTTPStatus.OK
    assert "Enrolment for this cohort is closed." in error_summary(response)
    assert not Enrolment.objects.exists()


def test_already_enrolled_says_so_and_creates_nothing(client, cohort, nhs_learner):
    EnrolmentFactory(cohort=cohort, user=nhs_learner)
    client.force_login(nhs_learner)
    shown = client.get(enrol_url(cohort))
    assert "You already have a place or a waiting-list entry on this cohort." in error_summary(shown)

    client.session.save()
    session = client.session
    session[f"courses:enrol:{cohort.code}"] = {"declared": True, "employer": "Leeds Teaching Hospitals NHS Trust"}
    session.save()
    response = client.post(check_url(cohort))

    assert "You already have a place or a waiting-list entry on this cohort." in error_summary(response)
    assert Enrolment.objects.count() == 1
    assert not mail.outbox


# My learning -----------------------------------------------------------------------------------------------------------


def test_my_learning_needs_sign_in(client):
    response = client.get("/my-learning/")
    assert response.status_code == HTTPStatus.FOUND and response.url.startswith("/account/login/")


def test_header_links_to_my_learning_for_signed_in_learners(client, home_page, nhs_learner):
    assert not soup(client.get("/")).find("a", string="My learning")
    client.force_login(nhs_learner)
    assert soup(client.get("/")).find("a", string="My learning")["href"] == "/my-learning/"


def test_joining_link_and_calendar_only_for_confirmed_places(client, cohort, course, nhs_learner):
    confirmed = EnrolmentFactory(cohort=cohort, user=nhs_learner)
    waiting_cohort = CohortFactory(course=course, code="SYS-02", joining_link="https://meet.example.org/secret-02")
    waiting = EnrolmentFactory(
        cohort=waiting_cohort, user=nhs_learner, status=EnrolmentStatus.WAITLISTED, waitlisted_at=timezone.now()
    )
    client.force_login(nhs_learner)

    page = soup(client.get("/my-learning/"))

    confirmed_card = page.select_one(".site-enrolment--confirmed")
    assert confirmed_card.select_one("a.site-joining-link")["href"] == "https://meet.example.org/sys-01"
    assert "Join ten minutes early" in confirmed_card.get_text()
    assert "Systems thinking" in confirmed_card.get_text(), "the next session"
    assert "https://meet.example.org/secret-02" not in str(page)
    assert "You are number 1 on the waiting list." in page.select_one(".site-enrolment--waitlisted").get_text()

    ics = client.get(f"/my-learning/enrolments/{confirmed.pk}/calendar.ics")
    assert ics.status_code == HTTPStatus.OK
    assert ics["Content-Type"].startswith("text/calendar")
    [event] = Calendar.from_ical(ics.content).walk("VEVENT")
    assert str(event["summary"]).endswith(": Systems thinking")
    assert str(event["location"]) == "https://meet.example.org/sys-01"
    assert client.get(f"/my-learning/enrolments/{waiting.pk}/calendar.ics").status_code == HTTPStatus.NOT_FOUND


def test_another_learners_enrolment_receipt_and_calendar_are_not_found(client, cohort, nhs_learner):
    theirs = EnrolmentFactory(cohort=cohort, status=EnrolmentStatus.OFFERED, offer_expires_at=timezone.now())
    paid = Payment.objects.create(
        enrolment=theirs,
        method=PaymentMethod.INVOICE,
        status=PaymentStatus.PAID,
        amount_pence=45000,
        receipt_number="RCP-2027-000001",
        paid_at=timezone.now(),
    )
    other_cohort = CohortFactory(course=cohort.course)
    client.force_login(nhs_learner)

    base = f"/my-learning/enrolments/{theirs.pk}"
    for method, url, data in [
        ("get", f"{base}/calendar.ics", None),
        ("get", f"/my-learning/receipts/{paid.pk}/", None),
        ("get", f"{base}/withdraw/", None),
        ("post", f"{base}/withdraw/", None),
        ("get", f"{base}/accept/", None),
        ("post", f"{base}/accept/", INVOICE),
        ("post", f"{base}/decline/", None),
        ("post", f"{base}/pay/", None),
        ("post", f"{base}/transfer/", {"cohort": other_cohort.pk}),
    ]:
        assert getattr(client, method)(url, data).status_code == HTTPStatus.NOT_FOUND, (method, url)
    theirs.refresh_from_db()
    assert theirs.status == EnrolmentStatus.OFFERED


def test_withdraw_asks_first_then_frees_the_seat_for_the_next_person(client, cohort, nhs_learner):
    cohort.capacity = 1
    cohort.save()
    mine = EnrolmentFactory(cohort=cohort, user=nhs_learner)
    waiting = EnrolmentFactory(cohort=cohort, status=EnrolmentStatus.WAITLISTED, waitlisted_at=timezone.now())
    client.force_login(nhs_learner)
    url = f"/my-learning/enrolments/{mine.pk}/withdraw/"

    confirm = client.get(url)
    mine.refresh_from_db()
    assert confirm.status_code == HTTPStatus.OK and "Are you sure you want to withdraw?" in page_text(confirm)
    assert mine.status == EnrolmentStatus.CONFIRMED, "GET changes nothing"

    response = client.post(url, follow=True)

    mine.refresh_from_db()
    waiting.refresh_from_db()
    assert mine.status == EnrolmentStatus.WITHDRAWN
    assert waiting.status == EnrolmentStatus.OFFERED
    assert any("You have withdrawn" in message for message in shown_messages(response))
    assert "Withdrawn" in response.content.decode()
    assert {m.subject.split(":")[0] for m in mail.outbox} == {"You have withdrawn", "A place is available for you"}


def test_accept_a_free_offer(client, cohort, nhs_learner):
    offer = EnrolmentFactory(
        cohort=cohort,
        user=nhs_learner,
        status=EnrolmentStatus.OFFERED,
        offer_expires_at=timezone.now() + datetime.timedelta(hours=48),
    )
    client.force_login(nhs_learner)
    page = soup(client.get("/my-learning/"))
    assert page.select_one(".site-enrolment--offered form")["action"] == f"/my-learning/enrolments/{offer.pk}/accept/"
    assert not page.select("a.site-joining-link"), "no joining link before the place is confirmed"

    response = client.post(f"/my-learning/enrolments/{offer.pk}/accept/", follow=True)

    offer.refresh_from_db()
    assert offer.status == EnrolmentStatus.CONFIRMED
    assert any("is confirmed" in message for message in shown_messages(response))
    assert soup(response).select_one("a.site-joining-link")


def test_accept_a_fee_offer_by_invoice(client, cohort, gmail_learner):
    offer = EnrolmentFactory(
        cohort=cohort,
        user=gmail_learner,
        status=EnrolmentStatus.OFFERED,
        fee_band=FeeBand.EXTERNAL,
        fee_pence=45000,
        offer_expires_at=timezone.now() + datetime.timedelta(hours=48),
    )
    client.force_login(gmail_learner)
    url = f"/my-learning/enrolments/{offer.pk}/accept/"

    page = client.get(url)
    bad = client.post(url, {**INVOICE, "purchase_order": ""})
    offer.refresh_from_db()
    assert "£450.00" in page_text(page)
    assert "Enter the purchase-order number" in error_summary(bad)
    assert offer.status == EnrolmentStatus.OFFERED

    client.post(url, INVOICE)

    offer.refresh_from_db()
    assert offer.status == EnrolmentStatus.AWAITING_PAYMENT
    assert offer.payments.get().purchase_order == "PO-88213"


def test_an_expired_offer_cannot_be_accepted(client, cohort, nhs_learner):
    offer = EnrolmentFactory(
        cohort=cohort,
        user=nhs_learner,
        status=EnrolmentStatus.OFFERED,
        offer_expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    client.force_login(nhs_learner)
    response = client.post(f"/my-learning/enrolments/{offer.pk}/accept/", follow=True)
    offer.refresh_from_db()
    assert offer.status == EnrolmentStatus.OFFERED
    assert any("this offer has expired" in message for message in shown_messages(response))


def test_decline_an_offer_passes_it_on(client, cohort, nhs_learner):
    cohort.capacity = 1
    cohort.save()
    offer = EnrolmentFactory(
        cohort=cohort,
        user=nhs_learner,
        status=EnrolmentStatus.OFFERED,
        offer_expires_at=timezone.now() + datetime.timedelta(hours=48),
    )
    next_in_line = EnrolmentFactory(cohort=cohort, status=EnrolmentStatus.WAITLISTED, waitlisted_at=timezone.now())
    client.force_login(nhs_learner)
    url = f"/my-learning/enrolments/{offer.pk}/decline/"

    assert "Are you sure you want to decline this place?" in page_text(client.get(url))
    client.post(url)

    offer.refresh_from_db()
    next_in_line.refresh_from_db()
    assert offer.status == EnrolmentStatus.WITHDRAWN
    assert next_in_line.status == EnrolmentStatus.OFFERED


def test_transfer_to_another_cohort_of_the_same_course(client, cohort, course, nhs_learner):
    mine = EnrolmentFactory(cohort=cohort, user=nhs_learner)
    later = CohortFactory(course=course, code="SYS-LATER", starts_on=cohort.starts_on + datetime.timedelta(days=60))
    full = CohortFactory(course=course, code="SYS-FULL", capacity=1)
    EnrolmentFactory(cohort=full)
    other_course = CohortFactory(code="OTHER-01")
    client.force_login(nhs_learner)

    options = texts(soup(client.get("/my-learning/")).select(".site-enrolment--confirmed select option"))
    assert options == [f"SYS-LATER, starting {later.starts_on:%-d %B %Y}"]

    refused = client.post(f"/my-learning/enrolments/{mine.pk}/transfer/", {"cohort": other_course.pk}, follow=True)
    assert any("Choose a cohort of this course" in message for message in shown_messages(refused))
    assert client.get(f"/my-learning/enrolments/{mine.pk}/transfer/").status_code == HTTPStatus.METHOD_NOT_ALLOWED

    response = client.post(f"/my-learning/enrolments/{mine.pk}/transfer/", {"cohort": later.pk}, follow=True)

    mine.refresh_from_db()
    moved = Enrolment.objects.get(user=nhs_learner, cohort=later)
    assert mine.status == EnrolmentStatus.CANCELLED
    assert moved.status == EnrolmentStatus.CONFIRMED and moved.transferred_from == mine
    assert any("moved to cohort SYS-LATER" in message for message in shown_messages(response))
    assert "Moved to another cohort" in page_text(response)


def test_with_places_kept_in_the_shared_cache_the_cohorts_to_move_to_follow_every_change(
    client, cohort, course, nhs_learner, fragments_on
):
    EnrolmentFactory(cohort=cohort, user=nhs_learner)
    later = CohortFactory(course=course, code="SYS-LATER", starts_on=cohort.starts_on + datetime.timedelta(days=60))
    client.force_login(nhs_learner)

    def options():
        return texts(soup(client.get("/my-learning/")).select(".site-enrolment--confirmed select option"))

    assert options() == [f"SYS-LATER, starting {later.starts_on:%-d %B %Y}"]
    later.capacity = 1
    later.save()
    taken = EnrolmentFactory(cohort=later)  # the last place goes to someone else
    assert options() == []
    taken.status = EnrolmentStatus.WITHDRAWN
    taken.save()
    assert options() == [f"SYS-LATER, starting {later.starts_on:%-d %B %Y}"]


def test_transfer_to_a_full_cohort_is_refused(client, cohort, course, nhs_learner):
    mine = EnrolmentFactory(cohort=cohort, user=nhs_learner)
    full = CohortFactory(course=course, capacity=1)
    EnrolmentFactory(cohort=full)
    client.force_login(nhs_learner)
    response = client.post(f"/my-learning/enrolments/{mine.pk}/transfer/", {"cohort": full.pk}, follow=True)
    mine.refresh_from_db()
    assert mine.status == EnrolmentStatus.CONFIRMED
    assert any("that cohort has no places left" in message for message in shown_messages(response))


def test_pay_now_reuses_the_held_place(client, cohort, gmail_learner, settings):
    fake = use_fake_payments(settings)
    held = EnrolmentFactory(
        cohort=cohort,
        user=gmail_learner,
        status=EnrolmentStatus.AWAITING_PAYMENT,
        fee_band=FeeBand.EXTERNAL,
        fee_pence=45000,
        payment_method=PaymentMethod.CARD,
        hold_expires_at=timezone.now() + datetime.timedelta(minutes=30),
        confirmed_at=None,
    )
    client.force_login(gmail_learner)
    page = soup(client.get("/my-learning/"))
    assert (
        page.select_one(".site-enrolment--awaiting-payment form")["action"] == f"/my-learning/enrolments/{held.pk}/pay/"
    )
    assert not page.select("a.site-joining-link")

    response = client.post(f"/my-learning/enrolments/{held.pk}/pay/")

    assert response.status_code == HTTPStatus.FOUND and response.url.startswith("https://checkout.stripe.test/")
    assert len(fake.checkout_calls) == 1
    assert client.get(f"/my-learning/enrolments/{held.pk}/pay/").status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_receipt_shows_number_date_amount_vat_and_organisation(client, cohort, gmail_learner, course):
    course.vat_status = VatStatus.STANDARD
    course.save_revision().publish()
    enrolment = EnrolmentFactory(cohort=cohort, user=gmail_learner, fee_band=FeeBand.EXTERNAL, fee_pence=45000)
    payment = Payment.objects.create(
        enrolment=enrolment,
        method=PaymentMethod.INVOICE,
        status=PaymentStatus.PAID,
        amount_pence=45000,
        vat_pence=7500,
        organisation="Cardiff and Vale University Health Board",
        purchase_order="PO-88213",
        receipt_number="RCP-2027-000042",
        paid_at=timezone.now(),
    )
    pending = Payment.objects.create(enrolment=enrolment, method=PaymentMethod.INVOICE, amount_pence=45000)
    client.force_login(gmail_learner)

    link = soup(client.get("/my-learning/")).find("a", href=f"/my-learning/receipts/{payment.pk}/")
    text = page_text(client.get(f"/my-learning/receipts/{payment.pk}/"))

    assert "RCP-2027-000042" in link.get_text()
    for expected in [
        "Receipt RCP-2027-000042",
        timezone.localdate().strftime("%-d %B %Y"),
        "£450.00",
        "£75.00 included",
        "Cardiff and Vale University Health Board",
        course.title,
        "SYS-01",
    ]:
        assert expected in text, expected
    assert client.get(f"/my-learning/receipts/{pending.pk}/").status_code == HTTPStatus.NOT_FOUND


def test_register_interest(client, course):
    learner = UserFactory()
    client.force_login(learner)
    url = f"/courses/register-interest/{course.pk}/"

    assert client.get(url).url == course.url
    assert not CourseInterest.objects.exists(), "GET changes nothing"
    response = client.post(url, follow=True)
    client.post(url)

    assert CourseInterest.objects.filter(user=learner, course=course).count() == 1
    assert any("when the next cohort" in message for message in shown_messages(response))


def test_register_interest_needs_sign_in(client, course):
    response = client.post(f"/courses/register-interest/{course.pk}/")
    assert response.status_code == HTTPStatus.FOUND and response.url.startswith("/account/login/")
    assert not CourseInterest.objects.exists()


# Emails ----------------------------------------------------------------------------------------------------------------


def test_every_email_kind_has_a_text_and_an_html_version(cohort, gmail_learner):
    enrolment = EnrolmentFactory(
        cohort=cohort,
        user=gmail_learner,
        status=EnrolmentStatus.OFFERED,
        fee_band=FeeBand.EXTERNAL,
        fee_pence=45000,
        offer_expires_at=timezone.now() + datetime.timedelta(hours=48),
    )
    payment = Payment.objects.create(
        enrolment=enrolment,
        method=PaymentMethod.CARD,
        status=PaymentStatus.REFUNDED,
        amount_pence=45000,
        refunded_pence=45000,
        receipt_number="RCP-2027-000007",
        organisation="Cardiff and Vale University Health Board",
        purchase_order="PO-1",
        paid_at=timezone.now(),
    )
    for kind in KINDS:
        enrolment_email_send(kind=kind, enrolment=enrolment, payment=payment)

    assert [m.subject.split(":")[0] for m in mail.outbox] == list(KINDS.values())
    by_kind = dict(zip(KINDS, mail.outbox, strict=True))
    for kind, email in by_kind.items():
        assert email.body.startswith("Dear Jo Morgan"), kind
        assert "http://testserver/my-learning/" in email.body, kind
        assert email.alternatives[0][1] == "text/html" and "<html" in email.alternatives[0][0], kind
        assert "&amp;" not in email.body and "&#x27;" not in email.body, kind
    assert "Accept or decline" in by_kind["offered"].body
    assert "£450.00" in by_kind["refunded"].body
    assert "RCP-2027-000007" in by_kind["payment_received"].body
    assert "http://testserver/my-learning/receipts/" in by_kind["payment_received"].body
    assert "http://testserver/courses/" in by_kind["cohort_opened"].body


def test_state_changes_need_the_csrf_token(cohort, nhs_learner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(nhs_learner)
    mine = EnrolmentFactory(cohort=cohort, user=nhs_learner)

    response = client.post(f"/my-learning/enrolments/{mine.pk}/withdraw/")

    mine.refresh_from_db()
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert mine.status == EnrolmentStatus.CONFIRMED


def test_money_and_times_read_the_nhs_way():
    assert (pounds(45000), pounds(0), pounds(123456789)) == ("£450.00", "£0.00", "£1,234,567.89")
    assert (clock(datetime.time(9, 0)), clock(datetime.time(12, 30)), clock(datetime.time(0, 5))) == (
        "9am",
        "12:30pm",
        "12:05am",
    )
    summer = timezone.make_aware(datetime.datetime(2027, 7, 5, 18, 59))
    assert moment(summer) == "6:59pm on Monday 5 July 2027"
