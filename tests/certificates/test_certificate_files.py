"""What a certificate holder takes away: the PDF (text, QR code, stored once, remade if lost) and the Open Badges 3.0
credential (valid against 1EdTech's schema), and who may download them."""

import io
import json
from http import HTTPStatus
from pathlib import Path

from django.urls import reverse

import jsonschema
import pypdf
import pypdfium2
import pytest
import zxingcpp

from accounts.factories import UserFactory
from certificates import services
from certificates.models import Certificate

pytestmark = pytest.mark.django_db

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "certificates/schemas/ob_v3p0_achievementcredential_schema.json").read_text()
)


def pdf_url(certificate):
    return reverse("certificates:pdf", args=[certificate.code])


def credential_url(certificate):
    return reverse("certificates:credential", args=[certificate.code])


def pdf_of(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_pdf_names_the_learner_the_course_and_the_code(client, certificate):
    client.force_login(certificate.user)
    response = client.get(pdf_url(certificate))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    # Our own PDF may open in the browser, but only ever as a PDF.
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    content = pdf_of(response)
    reader = pypdf.PdfReader(io.BytesIO(content))
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height, "A4 landscape"
    text = " ".join(page.extract_text().split())
    for expected in [
        "Priya Shah",
        "Human factors essentials",
        certificate.code,
        "CPD hours 6",
        "The CPD Certification Service",
        "Dr Helen Marsh",
    ]:
        assert expected in text


def test_the_qr_code_opens_the_verification_page(client, certificate):
    client.force_login(certificate.user)
    content = pdf_of(client.get(pdf_url(certificate)))
    image = pypdfium2.PdfDocument(content)[0].render(scale=3).to_pil()
    payloads = [result.text for result in zxingcpp.read_barcodes(image)]
    assert payloads == [f"http://testserver/certificates/verify/{certificate.code}/"]


def test_the_pdf_is_made_once_and_made_again_if_the_file_is_lost(certificate):
    name = certificate.pdf.name
    services.certificate_pdf_ensure(certificate=certificate)
    assert Certificate.objects.get(pk=certificate.pk).pdf.name == name, "the stored PDF is kept, not redrawn"

    certificate.pdf.storage.delete(name)
    services.certificate_pdf_ensure(certificate=certificate)
    stored = Certificate.objects.get(pk=certificate.pk).pdf
    assert stored.storage.exists(stored.name)
    assert stored.read()[:5] == b"%PDF-"


def test_the_pdf_is_drawn_from_the_design_revision_it_was_issued_with(certificate, design):
    design.signatory_name = "A New Director"
    design.save()
    design.save_revision()
    certificate.pdf.storage.delete(certificate.pdf.name)
    services.certificate_pdf_ensure(certificate=certificate)
    text = pypdf.PdfReader(Certificate.objects.get(pk=certificate.pk).pdf.open("rb")).pages[0].extract_text()
    assert "Dr Helen Marsh" in text and "A New Director" not in text


def test_only_the_holder_and_the_cohorts_staff_download_the_pdf(client, certificate, course_lead):
    assert client.get(pdf_url(certificate)).status_code == HTTPStatus.NOT_FOUND
    client.force_login(UserFactory())
    assert client.get(pdf_url(certificate)).status_code == HTTPStatus.NOT_FOUND
    client.force_login(course_lead)
    assert client.get(pdf_url(certificate)).status_code == HTTPStatus.OK


def test_the_open_badge_validates_against_the_published_schema(client, certificate):
    client.force_login(certificate.user)
    response = client.get(credential_url(certificate))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/ld+json"
    assert "attachment" in response["Content-Disposition"]
    credential = response.json()

    validator = jsonschema.Draft201909Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    assert [error.message for error in validator.iter_errors(credential)] == []

    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == f"http://testserver/certificates/verify/{certificate.code}/"
    issuer = credential["issuer"]
    assert issuer["type"] == ["Profile"]
    assert issuer["name"] == "National Patient Safety Investigations"
    assert issuer["id"] == "http://testserver/certificates/issuer.json"
    subject = credential["credentialSubject"]
    achievement = subject["achievement"]
    assert achievement["name"] == "Human factors essentials"
    assert achievement["achievementType"] == "CertificateOfCompletion"
    assert achievement["creditsAvailable"] == 6
    assert subject["creditsEarned"] == 6
    assert certificate.user.email not in json.dumps(credential), "the email is only present hashed"
    assert subject["identifier"][0]["hashed"] is True


def test_the_issuer_profile_is_public_at_the_issuers_id(client, certificate):
    response = client.get(reverse("certificates:issuer"))
    assert response.status_code == HTTPStatus.OK
    assert response.json()["id"] == "http://testserver/certificates/issuer.json"
    assert response.json()["type"] == ["Profile"]


def test_only_the_holder_gets_the_open_badge(client, certificate, course_lead):
    assert client.get(credential_url(certificate)).status_code == HTTPStatus.NOT_FOUND
    for someone in (UserFactory(), course_lead):
        client.force_login(someone)
        assert client.get(credential_url(certificate)).status_code == HTTPStatus.NOT_FOUND


def test_a_revoked_certificate_has_no_pdf_or_badge(client, certificate, course_lead):
    services.certificate_revoke(certificate=certificate, by_user=course_lead, reason="Issued in error.")
    client.force_login(certificate.user)
    assert client.get(pdf_url(certificate)).status_code == HTTPStatus.NOT_FOUND
    assert client.get(credential_url(certificate)).status_code == HTTPStatus.NOT_FOUND


def test_the_designs_logo_is_printed(certificate, design):
    from content.factories import ImageFactory

    design.logo = ImageFactory(title="Logo")
    design.save()
    certificate.template_revision = design.save_revision()
    certificate.save()
    certificate.pdf.storage.delete(certificate.pdf.name)
    services.certificate_pdf_ensure(certificate=certificate)
    page = pypdf.PdfReader(Certificate.objects.get(pk=certificate.pk).pdf.open("rb")).pages[0]
    assert len(page.images) == 1
