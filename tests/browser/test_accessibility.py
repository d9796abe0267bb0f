"""axe-core on the pages most people see: no serious or critical violations."""

import pytest
from playwright.sync_api import expect

from content.demo.text import ARTICLES, REPORTS
from tests.browser.axe import assert_no_blocking_violations

pytestmark = pytest.mark.browser

PAGES = {
    "home": "/",
    "report": f"/reports/{REPORTS[0]['slug']}/",
    "article": f"/news/{ARTICLES[0]['slug']}/",
    "search results": "/search/?q=anticoagulant",
    "sign-up": "/account/signup/",
}


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_no_serious_or_critical_violations(page, axe, path):
    response = page.goto(path)
    assert response.ok, f"{path} answered {response.status}"
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    assert_no_blocking_violations(axe, page, path)
