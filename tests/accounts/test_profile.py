from http import HTTPStatus

from django.urls import reverse

import pytest

from accounts.factories import ProfileFactory
from accounts.models import Profile

PROFILE_URL = "/account/profile/"


@pytest.fixture
def signed_in(client, verified_learner):
    client.force_login(verified_learner)
    return client


@pytest.fixture
def profile(verified_learner):
    return ProfileFactory(user=verified_learner, job_role="Staff nurse", organisation="Example NHS Foundation Trust")


def profile_data(**overrides):
    return {
        "full_name": "Alex Q. Learner",
        "job_role": "Patient safety partner",
        "organisation": "Northfield Hospitals NHS Foundation Trust",
        "professional_body": "nmc",
        "professional_body_other": "",
        "registration_number": "12A3456E",
        **overrides,
    }


def test_profile_requires_sign_in(client, db):
    response = client.get(PROFILE_URL)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{reverse('account_login')}?next={PROFILE_URL}"


def test_profile_shows_the_persons_details(signed_in, profile):
    response = signed_in.get(PROFILE_URL)

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "learner@example.org" in content
    assert 'value="Alex Learner"' in content
    assert 'value="Staff nurse"' in content
    assert 'value="Example NHS Foundation Trust"' in content
    for label in ["Full name", "Job role", "Employing organisation", "Professional body", "Registration number"]:
        assert label in content, label


def test_profile_page_makes_a_profile_for_someone_without_one(signed_in, verified_learner):
    assert not Profile.objects.filter(user=verified_learner).exists()

    response = signed_in.get(PROFILE_URL)

    assert response.status_code == HTTPStatus.OK
    assert Profile.objects.filter(user=verified_learner).exists()


def test_saving_the_profile_updates_name_and_details(signed_in, verified_learner, profile):
    response = signed_in.post(PROFILE_URL, profile_data())

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == PROFILE_URL
    verified_learner.refresh_from_db()
    profile.refresh_from_db()
    assert verified_learner.full_name == "Alex Q. Learner"
    assert profile.job_role == "Patient safety partner"
    assert profile.organisation == "Northfield Hospitals NHS Foundation Trust"
    assert profile.professional_body == Profile.ProfessionalBody.NMC
    assert profile.registration_number == "12A3456E"

    page = signed_in.get(response.url)
    assert "Your details have been saved." in page.content.decode()
    assert 'value="Alex Q. Learner"' in page.content.decode()


def test_other_professional_body_is_saved_with_its_name(signed_in, profile):
    response = signed_in.post(
        PROFILE_URL, profile_data(professional_body="other", professional_body_other="Society of Radiographers")
    )

    assert response.status_code == HTTPStatus.FOUND
    profile.refresh_from_db()
    assert profile.professional_body == Profile.ProfessionalBody.OTHER
    assert profile.professional_body_other == "Society of Radiographers"


def test_other_body_name_is_dropped_when_a_listed_body_is_chosen(signed_in, profile):
    profile.professional_body = Profile.ProfessionalBody.OTHER
    profile.professional_body_other = "Society of Radiographers"
    profile.save()

    signed_in.post(
        PROFILE_URL, profile_data(professional_body="hcpc", professional_body_other="Society of Radiographers")
    )

    profile.refresh_from_db()
    assert profile.professional_body == Profile.ProfessionalBody.HCPC
    assert profile.professional_body_other == ""


def test_no_professional_body_and_no_number_is_fine(signed_in, profile):
    response = signed_in.post(PROFILE_URL, profile_data(professional_body="", registration_number=""))

    assert response.status_code == HTTPStatus.FOUND
    profile.refresh_from_db()
    assert profile.professional_body == ""
    assert profile.registration_number == ""


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param(
            {"professional_body": "other", "professional_body_other": "  "},
            "professional_body_other",
            "Enter the name of your professional body.",
            id="other-body-without-a-name",
        ),
        pytest.param(
            {"professional_body": "", "registration_number": "12A3456E"},
            "professional_body",
            "Choose the professional body that registered you.",
            id="number-without-a-body",
        ),
        pytest.param({"full_name": ""}, "full_name", "This field is required.", id="no-full-name"),
        pytest.param({"professional_body": "gmx"}, "professional_body", "Select a valid choice.", id="unknown-body"),
    ],
)
def test_errors_are_summarised_and_nothing_changes(signed_in, verified_learner, profile, overrides, field, message):
    response = signed_in.post(PROFILE_URL, profile_data(**overrides))

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "<title>Error: Your details" in content
    assert "nhsuk-error-summary" in content
    assert "There is a problem" in content
    assert message in content
    # The summary links each message to its field.
    assert f'href="#{response.context["form"][field].id_for_label}"' in content
    assert response.context["form"].errors[field]
    verified_learner.refresh_from_db()
    profile.refresh_from_db()
    assert verified_learner.full_name == "Alex Learner"
    assert profile.job_role == "Staff nurse"
    assert profile.organisation == "Example NHS Foundation Trust"
    assert profile.professional_body == ""
    assert profile.registration_number == ""


def test_profile_links_to_account_security_pages(signed_in, profile):
    content = signed_in.get(PROFILE_URL).content.decode()

    for name in ["account_email", "account_change_password", "mfa_index"]:
        assert f'href="{reverse(name)}"' in content, name
