"""Signing in, as the browser journeys do it: learners with a password, staff with a password and an authenticator code.

Staff sign-in needs the `staff_mfa_required` fixture (tests/browser/conftest.py), which turns the MFA rule on and
freezes allauth's TOTP clock at FROZEN_NOW, so a code cannot expire between making it and the server checking it.
"""

import re

from django.contrib.auth import get_user_model

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal import auth as totp_auth
from playwright.sync_api import expect

from content.demo.text import DEMO_PASSWORD

NHS_LEARNER = "nhs.learner@nhs.net"
EXTERNAL_LEARNER = "external.learner@example.com"
# A fixed instant for allauth's TOTP clock (the live server runs in this process).
FROZEN_NOW = 1_800_000_000


def user(email):
    return get_user_model().objects.get(email=email)


def sign_in(page, email):
    page.goto("/account/login/")
    submit_sign_in(page, email)


def submit_sign_in(page, email):
    """Fill in and send the sign-in form already on the page."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    form = page.get_by_role("main").locator("form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Your account").get_by_role("link", name="Sign out")).to_be_visible()


def with_authenticator(email):
    """Give the demo account an authenticator app, as allauth does when its set-up form is completed; returns the secret."""
    secret = totp_auth.generate_totp_secret()
    totp_auth.TOTP.activate(user(email), secret)
    return secret


def totp_code(secret):
    """The code an authenticator app would show for this secret now."""
    return totp_auth.format_hotp_value(totp_auth.hotp_value(secret, FROZEN_NOW // mfa_settings.TOTP_PERIOD))


def sign_in_to_admin(page, email, secret):
    """Open the admin, which asks to sign in, then give the password and the authenticator code."""
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/account/login/\?next=/admin/$"))
    form = page.get_by_role("main").locator("form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    form.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/account/2fa/authenticate/$"))
    form = page.get_by_role("main").locator("form")
    form.get_by_label("Code").fill(totp_code(secret))
    form.get_by_role("button").first.click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
