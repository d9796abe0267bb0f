"""The public verification page: valid, revoked, unknown (404), no personal data beyond the snapshot, rate-limited."""

from http import HTTPStatus

from django.core.cache import cache
from django.urls import reverse

import pytest

from certificates import services
from tests.content.helpers import soup

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def text_of(response):
    return " ".join(soup(response).find("main").get_text(" ").split())


def verify_url(code):
    return reverse("certificates:verify", args=[code])


def test_a_valid_certificate_shows_who_what_and_when(client, certificate):
    response = client.get(verify_url(certificate.code))
    assert response.status_code == HTTPStatus.OK
    text = text_of(response)
    assert "This certificate is valid" in text
    for expected in ["Priya Shah", "Human factors essentials", "CPD hours 6", "The CPD Certification Service"]:
        assert expected in text
    assert certificate.completed_on.strftime("%-d %B %Y") in text
    assert certificate.user.email not in response.content.decode()
    assert "HFE-00" not in text, "nothing beyond what the certificate itself shows publicly"


def test_a_revoked_certificate_shows_as_revoked(client, certificate, course_lead):
    services.certificate_revoke(certificate=certificate, by_user=course_lead, reason="Completion recorded in error.")
    response = client.get(verify_url(certificate.code))
    assert response.status_code == HTTPStatus.OK
    text = text_of(response)
    assert "This certificate has been revoked" in text
    assert "Revoked" in text
    assert "recorded in error" not in text, "the reason is for administrators, not the public"


def test_an_unknown_code_is_404_with_the_form_to_try_again(client, certificate):
    response = client.get(verify_url("2222-3333-4444"))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "No certificate has the code 2222-3333-4444" in text_of(response)


def test_the_form_takes_a_code_as_typed(client, certificate):
    typed = certificate.code.lower().replace("-", " ")
    response = client.get(reverse("certificates:verify_form"), {"code": typed})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == verify_url(certificate.code)


def test_the_form_explains_a_malformed_code(client):
    response = client.get(reverse("certificates:verify_form"), {"code": "abc"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Enter the code as it is printed" in text_of(response)


def test_guessing_codes_is_rate_limited(client, certificate, settings):
    settings.CERTIFICATES_VERIFY_MISS_LIMIT = 3
    for n in range(3):
        assert client.get(verify_url(f"2222-3333-444{n + 5}")).status_code == HTTPStatus.NOT_FOUND
    throttled = client.get(verify_url(certificate.code))
    assert throttled.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert throttled["Retry-After"] == "900"
    # Another client is not held back by the first one's guesses.
    assert client.get(verify_url(certificate.code), REMOTE_ADDR="10.0.0.9").status_code == HTTPStatus.OK


def test_checking_real_codes_is_never_throttled(client, certificate, settings):
    settings.CERTIFICATES_VERIFY_MISS_LIMIT = 3
    for _ in range(10):
        assert client.get(verify_url(certificate.code)).status_code == HTTPStatus.OK


@pytest.mark.parametrize("typed", ["----", "not a code", "2222-3333-44445555"])
def test_anything_that_is_not_a_code_is_404_too(client, typed):
    response = client.get(f"/certificates/verify/{typed}/")
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_code_in_another_form_goes_to_its_page(client, certificate):
    response = client.get(verify_url(certificate.code.lower().replace("-", "")))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == verify_url(certificate.code)
