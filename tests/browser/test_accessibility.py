"""axe-core on the pages most people see: no serious or critical violations."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from content.demo.text import ARTICLES, REPORTS

pytestmark = pytest.mark.browser

BLOCKING_IMPACTS = {"serious", "critical"}
PAGES = {
    "home": "/",
    "report": f"/reports/{REPORTS[0]['slug']}/",
    "article": f"/news/{ARTICLES[0]['slug']}/",
    "search results": "/search/?q=anticoagulant",
    "sign-up": "/account/signup/",
}


@pytest.fixture(scope="session")
def axe():
    return Axe()


def describe(violations):
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        lines.extend(f"    {', '.join(map(str, node['target']))}: {node['html'][:200]}" for node in violation["nodes"])
    return "\n".join(lines)


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_no_serious_or_critical_violations(page, axe, path):
    response = page.goto(path)
    assert response.ok, f"{path} answered {response.status}"
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    results = axe.run(page)

    blocking = [violation for violation in results.response["violations"] if violation["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe found serious or critical violations on {path}:\n{describe(blocking)}"
