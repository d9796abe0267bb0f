"""Who is in the free band: a verified email on an NHS England domain and a declared NHS employer in England."""

import pytest
from allauth.account.models import EmailAddress

from accounts.factories import UserFactory
from courses import selectors, services
from courses.factories import CohortFactory
from courses.models import EligibilitySettings, FeeBand
from tests.courses.test_services import FEE, INVOICE, make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(home_page):
    return make_course(home_page)


def learner_with(email, *, verified=True, primary=True):
    user = UserFactory(email=email)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=primary)
    return user


def decide(user, course, declared=True):
    return selectors.fee_band_decide(user=user, course=course, declared_nhs_england_employer=declared)


def edit_allowlist(*, allowed=None, excluded=None):
    eligibility = EligibilitySettings.load()
    if allowed is not None:
        eligibility.allowed_domains = allowed
    if excluded is not None:
        eligibility.excluded_domains = excluded
    eligibility.save()


@pytest.mark.parametrize(
    "email",
    [
        "sam.jones@nhs.net",
        "sam.jones@mft.nhs.uk",  # an English trust
        "sam.jones@nhsbsa.nhs.uk",
        "Sam.Jones@MFT.NHS.UK",  # domains compare without case
    ],
)
def test_verified_nhs_england_address_and_declared_employer_is_free(course, email):
    decision = decide(learner_with(email), course)
    assert decision.band == FeeBand.FREE
    assert decision.fee_pence == 0
    assert decision.has_nhs_email is True
    assert decision.reason.startswith("Free")
    assert email in decision.reason  # the learner sees which address qualified them
    assert "NHS organisation in England" in decision.reason


@pytest.mark.parametrize(
    "email",
    [
        "sam.jones@cardiff.wales.nhs.uk",  # NHS Wales
        "sam.jones@wales.nhs.uk",
        "sam.jones@ggc.scot.nhs.uk",  # NHS Scotland
        "sam.jones@nhs.scot",
        "sam.jones@belfasttrust.hscni.net",  # Northern Ireland
        "sam.jones@setrust.ni.nhs.uk",
        "sam.jones@gmail.com",
        "sam.jones@nhs.uk",  # '*.nhs.uk' means a subdomain, not nhs.uk itself
        "sam.jones@fakenhs.net",  # lookalikes
        "sam.jones@nhs.net.example.com",
        "sam.jones@mft.nhs.uk.example.com",
        "sam.jones@evilnhs.uk",
    ],
)
def test_verified_address_outside_nhs_england_pays_the_fee(course, email):
    decision = decide(learner_with(email), course)
    assert decision.band == FeeBand.EXTERNAL
    assert decision.fee_pence == FEE
    assert decision.has_nhs_email is False
    assert "fee applies" in decision.reason
    assert "NHS England domain" in decision.reason


@pytest.mark.parametrize("email", ["sam.jones@cardiff.wales.nhs.uk", "sam.jones@ggc.scot.nhs.uk"])
def test_devolved_nhs_address_is_told_why_it_is_not_free(course, email):
    decision = decide(learner_with(email), course)
    assert decision.band == FeeBand.EXTERNAL
    assert f"your verified email {email} is on the domain of a health service outside England" in decision.reason


@pytest.mark.parametrize("email", ["sam.jones@nhs.net", "sam.jones@mft.nhs.uk"])
def test_unverified_nhs_address_pays_the_fee_and_is_told_to_verify(course, email):
    decision = decide(learner_with(email, verified=False), course)
    assert decision.band == FeeBand.EXTERNAL and decision.fee_pence == FEE
    assert decision.has_nhs_email is False
    assert "not verified" in decision.reason
    assert "Verify it" in decision.reason


def test_no_email_record_at_all_pays_the_fee_and_is_told_to_add_and_verify(course):
    decision = decide(UserFactory(email="sam.jones@nhs.net"), course)
    assert decision.band == FeeBand.EXTERNAL
    assert "verify your NHS email address" in decision.reason


def test_verified_nhs_address_without_the_declaration_pays_the_fee(course):
    decision = decide(learner_with("sam.jones@nhs.net"), course, declared=False)
    assert decision.band == FeeBand.EXTERNAL and decision.fee_pence == FEE
    assert decision.has_nhs_email is True
    assert "have not said that you work for an NHS organisation in England" in decision.reason


def test_declaration_without_an_nhs_address_pays_the_fee(course):
    decision = decide(learner_with("sam.jones@gmail.com"), course, declared=True)
    assert decision.band == FeeBand.EXTERNAL
    assert "no verified email address on an NHS England domain" in decision.reason


def test_a_verified_secondary_nhs_address_counts(course):
    user = learner_with("sam.jones@gmail.com")
    EmailAddress.objects.create(user=user, email="sam.jones@nhs.net", verified=True, primary=False)
    EmailAddress.objects.create(user=user, email="sam.j@mft.nhs.uk", verified=False, primary=False)
    decision = decide(user, course)
    assert decision.band == FeeBand.FREE
    assert "sam.jones@nhs.net" in decision.reason


def test_an_unverified_nhs_address_beside_a_verified_personal_one_pays_the_fee(course):
    user = learner_with("sam.jones@gmail.com")
    EmailAddress.objects.create(user=user, email="sam.jones@nhs.net", verified=False, primary=False)
    decision = decide(user, course)
    assert decision.band == FeeBand.EXTERNAL
    assert "verify" in decision.reason


def test_a_free_course_costs_nothing_even_in_the_external_band(home_page):
    free_course = make_course(home_page)
    free_course.external_fee_pence = 0
    free_course.save()
    decision = decide(learner_with("sam.jones@gmail.com"), free_course)
    assert decision.band == FeeBand.EXTERNAL and decision.fee_pence == 0


# --- The allowlist that administrators edit --------------------------------------------------------------------------


def test_the_default_allowlist_is_nhs_net_and_english_nhs_uk():
    eligibility = EligibilitySettings.load()
    assert eligibility.is_nhs_england_domain("nhs.net")
    assert eligibility.is_nhs_england_domain("leedsth.nhs.uk")
    for domain in ["wales.nhs.uk", "cardiff.wales.nhs.uk", "scot.nhs.uk", "ggc.scot.nhs.uk", "ni.nhs.uk", "gmail.com"]:
        assert not eligibility.is_nhs_england_domain(domain), domain


def test_adding_a_domain_makes_it_free(course):
    user = learner_with("sam.jones@ukhsa.gov.uk")
    assert decide(user, course).band == FeeBand.EXTERNAL
    edit_allowlist(allowed="nhs.net\n*.nhs.uk\n# Agencies that count as NHS England\nukhsa.gov.uk\n")
    assert decide(user, course).band == FeeBand.FREE


def test_adding_a_wildcard_domain_covers_its_subdomains(course):
    edit_allowlist(allowed="nhs.net\n*.nhs.uk\n*.icb.example.org.uk")
    assert decide(learner_with("a@north.icb.example.org.uk"), course).band == FeeBand.FREE
    assert decide(learner_with("b@icb.example.org.uk"), course).band == FeeBand.EXTERNAL


def test_excluding_a_domain_makes_it_pay(course):
    user = learner_with("sam.jones@mft.nhs.uk")
    assert decide(user, course).band == FeeBand.FREE
    edit_allowlist(excluded=EligibilitySettings.load().excluded_domains + "\nmft.nhs.uk")
    decision = decide(user, course)
    assert decision.band == FeeBand.EXTERNAL
    assert "NHS England domain" in decision.reason


def test_removing_nhs_net_makes_it_pay(course):
    user = learner_with("sam.jones@nhs.net")
    edit_allowlist(allowed="*.nhs.uk")
    assert decide(user, course).band == FeeBand.EXTERNAL


def test_clearing_the_exclusions_lets_welsh_nhs_in(course):
    """The exclusions are what keep the devolved nations' nhs.uk subdomains out of '*.nhs.uk'."""
    user = learner_with("sam.jones@cardiff.wales.nhs.uk")
    edit_allowlist(excluded="")
    assert decide(user, course).band == FeeBand.FREE


def test_an_exclusion_wins_over_an_allowed_line():
    edit_allowlist(allowed="nhs.net\n*.nhs.uk\ncardiff.wales.nhs.uk")
    assert not EligibilitySettings.load().is_nhs_england_domain("cardiff.wales.nhs.uk")


# --- The band is decided at enrolment, stored with its reason, and kept ------------------------------------------------


def test_enrolment_stores_the_band_and_why(course):
    cohort = CohortFactory(course=course)
    free = services.enrolment_request(
        cohort=cohort, user=learner_with("a@nhs.net"), declared_nhs_england_employer=True, employer="Barts Health"
    )
    assert (free.fee_band, free.fee_pence, free.employer) == (FeeBand.FREE, 0, "Barts Health")
    assert free.fee_band_reason.startswith("Free")
    paying = services.enrolment_request(
        cohort=cohort,
        user=learner_with("b@cardiff.wales.nhs.uk"),
        declared_nhs_england_employer=True,
        payment_method="invoice",
        invoice=INVOICE,
    )
    assert (paying.fee_band, paying.fee_pence) == (FeeBand.EXTERNAL, FEE)
    assert "fee applies" in paying.fee_band_reason


def test_the_band_is_kept_when_the_allowlist_changes_later(course):
    cohort = CohortFactory(course=course)
    enrolment = services.enrolment_request(
        cohort=cohort, user=learner_with("a@mft.nhs.uk"), declared_nhs_england_employer=True
    )
    edit_allowlist(excluded="mft.nhs.uk")
    enrolment.refresh_from_db()
    assert enrolment.fee_band == FeeBand.FREE and enrolment.fee_pence == 0
