"""Certificates in a real browser: the demo learner downloads their certificate, its QR code opens the verification
page; anyone checks a code by typing it; and axe on the verification pages.

The demo (certificates/demo.py) has the demo NHS learner signed off on the finished cohort HFE-00, so their certificate
was issued on sign-off, as it would be for real.
"""

import io
import re
from urllib.parse import urlsplit

import pypdf
import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import expect

from certificates import services
from certificates.models import Certificate
from tests.browser.accounts import NHS_LEARNER, sign_in
from tests.browser.axe import assert_no_blocking_violations

pytestmark = pytest.mark.browser

LEARNER_NAME = "Priya Shah"
COURSE = "Human factors essentials for patient safety"


def demo_certificate():
    return Certificate.objects.get(user__email=NHS_LEARNER, revoked_at__isnull=True)


def test_learner_downloads_the_certificate_and_its_qr_code_opens_the_verification_page(page):
    sign_in(page, NHS_LEARNER)
    page.get_by_role("navigation", name="Your account").get_by_role("link", name="My CPD record").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("CPD record")

    main = page.get_by_role("main")
    with page.expect_download() as download_info:
        main.get_by_role("link", name=re.compile(r"PDF")).first.click()
    content = open(download_info.value.path(), "rb").read()
    text = " ".join(pypdf.PdfReader(io.BytesIO(content)).pages[0].extract_text().split())
    code = demo_certificate().code
    assert LEARNER_NAME in text and COURSE in text and code in text

    # What a phone would read from the QR code: the verification page's address (its host is the configured base URL).
    [qr] = zxingcpp.read_barcodes(pypdfium2.PdfDocument(content)[0].render(scale=3).to_pil())
    page.goto(urlsplit(qr.text).path)
    expect(page.get_by_role("heading", level=1)).to_have_text("This certificate is valid")
    expect(page.get_by_role("main")).to_contain_text(LEARNER_NAME)
    expect(page.get_by_role("main")).to_contain_text(COURSE)
    expect(page.get_by_role("main")).not_to_contain_text(NHS_LEARNER)


def test_anyone_checks_a_code_by_typing_it(page):
    code = demo_certificate().code
    page.goto("/certificates/verify/")
    page.get_by_label("Certificate code").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Check the certificate").click()
    expect(page).to_have_url(re.compile(rf"/certificates/verify/{code}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("This certificate is valid")

    page.goto("/certificates/verify/")
    page.get_by_label("Certificate code").fill("2222-3333-4444")
    page.get_by_role("button", name="Check the certificate").click()
    expect(page.get_by_role("alert")).to_contain_text("No certificate has the code 2222-3333-4444")


def show_verify_form(page):
    page.goto("/certificates/verify/")


def show_verify_form_error(page):
    page.goto("/certificates/verify/?code=abc")
    expect(page.get_by_role("alert")).to_contain_text("Enter the code as it is printed")


def show_unknown_code(page):
    page.goto("/certificates/verify/2222-3333-4444/")
    expect(page.get_by_role("alert")).to_be_visible()


def show_valid(page):
    page.goto(demo_certificate().get_verification_url())


def show_revoked(page):
    certificate = demo_certificate()
    services.certificate_revoke(certificate=certificate, by_user=None, reason="Shown revoked for the axe check.")
    page.goto(certificate.get_verification_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("This certificate has been revoked")


PAGES = {
    "verification form": show_verify_form,
    "verification form with an error": show_verify_form_error,
    "unknown code": show_unknown_code,
    "valid certificate": show_valid,
    "revoked certificate": show_revoked,
}


@pytest.mark.parametrize("show", PAGES.values(), ids=PAGES.keys())
def test_no_serious_or_critical_violations(page, axe, show):
    show(page)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_no_blocking_violations(axe, page)
