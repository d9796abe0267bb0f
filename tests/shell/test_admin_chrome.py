"""The admin's furniture kept between pages (site/admin_chrome.py): Wagtail's own sidebar and shortcuts dialog, built
once per person, and rebuilt at once when what they may see changes."""

import json
import re

from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wagtail.models import GroupPagePermission, Locale, Page
from wagtail.users.models import UserProfile

import pytest

import admin_chrome
from courses.factories import CohortFactory
from tests.content.helpers import make_group_member, soup

pytestmark = pytest.mark.django_db

MARKING = "/admin/assessments/marking/"
CSRF = re.compile(r'(csrfmiddlewaretoken" value="|"CSRF_TOKEN": ")[^"]+')


@pytest.fixture(autouse=True)
def chrome_cache_on(admin_chrome_on):
    admin_chrome._shortcuts_dialogs.clear()


@pytest.fixture
def lead(db):
    return make_group_member("Course leads", "lead@example.org")


@pytest.fixture
def lead_client(client, lead):
    client.force_login(lead)
    return client


def sidebar(response) -> dict:
    return json.loads(soup(response).find(id="wagtail-sidebar-props").string)


def labels(props) -> set:
    """Every menu label in the sidebar's props, at any depth."""
    found = set()

    def walk(value):
        if isinstance(value, dict):
            if isinstance(value.get("label"), str):
                found.add(value["label"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(props)
    return found


def config(response) -> dict:
    return json.loads(soup(response).find(id="wagtail-config").string)


def menu(client, path="/admin/") -> set:
    response = client.get(path)
    assert response.status_code == 200
    return labels(sidebar(response))


def page_without_tokens(client, path, **headers) -> str:
    return CSRF.sub("", client.get(path, **headers).content.decode())


def test_the_kept_sidebar_and_dialog_are_the_ones_wagtail_renders(lead_client, settings):
    for agent in ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"):
        settings.ADMIN_CHROME_SECONDS = 0
        built = page_without_tokens(lead_client, "/admin/", HTTP_USER_AGENT=agent)
        settings.ADMIN_CHROME_SECONDS = 300
        first = page_without_tokens(lead_client, "/admin/", HTTP_USER_AGENT=agent)
        kept = page_without_tokens(lead_client, "/admin/", HTTP_USER_AGENT=agent)
        assert built == first == kept
        assert 'id="wagtail-sidebar-props"' in kept and 'id="keyboard-shortcuts-dialog"' in kept


def test_the_shortcuts_dialog_follows_the_keyboard_and_the_persons_choice(lead_client, lead):
    def dialog(agent):
        page = lead_client.get("/admin/", HTTP_USER_AGENT=agent).content.decode()
        start = page.index('id="keyboard-shortcuts-dialog"')  # inside a <template>, which parsers leave unparsed
        return re.sub(r"<[^>]+>", " ", page[start : page.index("</template>", start)])

    mac, windows = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
    assert "⌘ + s" in dialog(mac) and "Ctrl + s" not in dialog(mac)
    assert "Ctrl + s" in dialog(windows) and "⌘" not in dialog(windows)
    assert "currently disabled" not in dialog(windows)

    profile = UserProfile.get_for_user(lead)
    profile.keyboard_shortcuts = False
    profile.save()
    assert "Keyboard shortcuts are currently disabled" in " ".join(dialog(windows).split())


def test_a_second_admin_page_does_not_ask_the_menus_permission_questions_again(lead_client):
    def wagtail_permission_reads(path):
        with CaptureQueriesContext(connection) as captured:
            assert lead_client.get(path).status_code == 200
        return [q["sql"] for q in captured if "wagtailcore_grouppagepermission" in q["sql"]]

    assert wagtail_permission_reads("/admin/")  # built: the menu asks which pages this person may edit
    assert not wagtail_permission_reads(MARKING)  # kept, on another page too


def test_nothing_is_kept_when_the_setting_is_zero(lead_client, settings):
    settings.ADMIN_CHROME_SECONDS = 0
    lead_client.get("/admin/")
    with CaptureQueriesContext(connection) as captured:
        lead_client.get("/admin/")
    assert any("wagtailcore_grouppagepermission" in q["sql"] for q in captured)


def test_leading_a_cohort_shows_its_dashboards_and_marking_at_once_and_no_longer_leading_hides_them(lead_client, lead):
    assert not {"Cohort dashboards", "Marking"} & menu(lead_client)

    cohort = CohortFactory()
    cohort.leads.add(lead)
    cohort.save()
    assert {"Cohort dashboards", "Marking"} <= menu(lead_client)

    cohort.leads.remove(lead)
    cohort.save()
    assert not {"Cohort dashboards", "Marking"} & menu(lead_client)


def test_each_person_sees_their_own_menu(client, lead):
    administrator = make_group_member("Course administrators", "admin@example.org")
    administrator.user_permissions.add(Permission.objects.get(codename="change_cohort"))
    client.force_login(administrator)
    assert "Course report" in menu(client)

    client.force_login(lead)
    assert "Course report" not in menu(client)
    client.force_login(administrator)
    assert "Course report" in menu(client)


def test_new_permissions_show_in_the_menu_at_once(lead_client, lead):
    assert "Pages" not in menu(lead_client)

    # A page permission for a group the lead is in: no model permission of theirs changes.
    GroupPagePermission.objects.create(
        group=Group.objects.get(name="Course leads"),
        page=Page.get_first_root_node(),
        permission=Permission.objects.get(codename="change_page"),
    )
    assert "Pages" in menu(lead_client)

    GroupPagePermission.objects.filter(group__name="Course leads").delete()
    assert "Pages" not in menu(lead_client)

    lead.groups.add(Group.objects.get(name="Editors"))
    assert "Pages" in menu(lead_client)


def test_the_account_menu_follows_the_persons_address(lead_client, lead):
    def account_name():
        return sidebar(lead_client.get("/admin/"))["modules"][-1]["_args"][2]["name"]

    assert account_name() == "lead@example.org"
    lead.email = "lead.renamed@example.org"
    lead.save()
    assert account_name() == "lead.renamed@example.org"


def test_the_kept_settings_carry_this_requests_csrf_token_and_dismissing_help_shows_at_once(lead):
    # As the admin's scripts do: dismiss a help item with the token from the page's settings, CSRF checks on.
    client = Client(enforce_csrf_checks=True)
    client.force_login(lead)
    client.get("/admin/")
    page = client.get("/admin/")
    assert "data-w-dismissible-dismissed-value" not in page.content.decode()
    token = config(page)["CSRF_TOKEN"]
    assert token != config(client.get("/admin/"))["CSRF_TOKEN"]  # masked afresh each time, as Wagtail's is

    response = client.patch(
        reverse("wagtailadmin_dismissibles"),
        data=json.dumps({"editor-guide": True}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert "data-w-dismissible-dismissed-value" in client.get("/admin/").content.decode()


def test_a_new_locale_shows_in_the_scripts_settings_at_once(lead_client):
    def codes():
        return {locale["code"] for locale in config(lead_client.get("/admin/"))["LOCALES"]}

    assert codes() == {"en-gb"}
    Locale.objects.create(language_code="cy")
    assert codes() == {"en-gb", "cy"}
