"""What a visitor does in a real browser: read the newest reports, search, and create an account."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from content.demo.text import REPORTS

pytestmark = pytest.mark.browser

NEWEST_REPORTS = sorted(REPORTS, key=lambda report: report["date"], reverse=True)[:3]


def test_home_page_shows_the_newest_reports(page):
    page.goto("/")

    latest = page.get_by_role("region", name="Latest investigation reports")
    expect(latest.get_by_role("heading", level=3)).to_have_text([report["title"] for report in NEWEST_REPORTS])


def test_report_card_link_opens_the_report(page):
    report = NEWEST_REPORTS[0]
    page.goto("/")

    page.get_by_role("link", name=f"Read the {report['title']} report").click()

    expect(page).to_have_url(re.compile(rf"/{report['slug']}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(report["title"])
    expect(page.get_by_text(report["reference"]).first).to_be_visible()


def test_header_search_finds_a_report(page):
    page.goto("/")

    search = page.get_by_role("search").filter(has=page.get_by_label("Search this site"))
    search.get_by_label("Search this site").fill("anticoagulant")
    search.get_by_role("button", name="Search").click()

    expect(page).to_have_url(re.compile(r"/search/\?q=anticoagulant$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("anticoagulant")
    expect(page.get_by_role("main").get_by_role("link", name=REPORTS[0]["title"])).to_be_visible()


def test_sign_up_verify_email_and_sign_in(page, mailoutbox):
    page.goto("/")
    page.get_by_role("link", name="Create an account").click()

    form = page.get_by_role("main").locator("form")
    form.get_by_label("Full name").fill("Robin Newcomer")
    form.get_by_label("Email").fill("robin.newcomer@example.org")
    form.get_by_label("Password", exact=True).fill("a-long-unusual-passphrase")
    form.get_by_label(re.compile(r"^Password \(again\)|^Confirm password", re.IGNORECASE)).fill(
        "a-long-unusual-passphrase"
    )
    form.locator("[type=submit]").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("verify your email", re.IGNORECASE))
    assert len(mailoutbox) == 1, [message.subject for message in mailoutbox]
    assert mailoutbox[0].to == ["robin.newcomer@example.org"]
    link = re.search(r"https?://\S+/account/confirm-email/\S+", mailoutbox[0].body)
    assert link, mailoutbox[0].body

    # The link names the live server's host; keep only its path so it resolves against base_url whatever the host.
    page.goto(urlsplit(link.group(0)).path)
    page.get_by_role("main").locator("form [type=submit]").click()

    expect(page).to_have_url(re.compile(r"/account/login/"))
    form = page.get_by_role("main").locator("form")
    form.get_by_label("Email").fill("robin.newcomer@example.org")
    form.get_by_label("Password", exact=True).fill("a-long-unusual-passphrase")
    form.locator("[type=submit]").click()

    account_nav = page.get_by_role("navigation", name="Your account")
    expect(account_nav.get_by_role("link", name="Robin Newcomer")).to_be_visible()
    expect(account_nav.get_by_role("link", name="Sign out")).to_be_visible()
