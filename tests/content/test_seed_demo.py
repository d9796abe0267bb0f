from http import HTTPStatus
from io import StringIO

from django.core.cache import cache
from django.core.management import call_command
from django.test import TestCase
from django.utils.html import escape

from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from allauth.account.models import EmailAddress

from accounts.models import Profile, User
from content.demo.text import ACCOUNTS, ARTICLES, DEMO_PASSWORD, REPORTS
from content.models import HomePage


def seed():
    call_command("seed_demo", stdout=StringIO())


def counts():
    return {
        "pages": Page.objects.count(),
        "users": User.objects.count(),
        "profiles": Profile.objects.count(),
        "email addresses": EmailAddress.objects.count(),
        "images": get_image_model().objects.count(),
        "documents": get_document_model().objects.count(),
    }


class SeedDemoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        seed()
        cls.counts_after_first_run = counts()

    def setUp(self):
        cache.clear()

    def test_running_again_adds_nothing(self):
        seed()

        self.assertEqual(counts(), self.counts_after_first_run)

    def test_builds_reports_articles_and_their_media(self):
        # One image per report and article, and the certificate design's logo (certificates/demo.py).
        self.assertEqual(self.counts_after_first_run["images"], len(REPORTS) + len(ARTICLES) + 1)
        self.assertEqual(self.counts_after_first_run["documents"], len(REPORTS))
        # Other apps' demo content (through the build_demo_content hook) may add learners of its own.
        self.assertEqual(
            User.objects.filter(email__in=[account["email"] for account in ACCOUNTS]).count(), len(ACCOUNTS)
        )

    def test_demo_accounts_are_verified_with_the_right_roles(self):
        expected = {
            "nhs.learner@nhs.net": (set(), False),
            "external.learner@example.com": (set(), False),
            "editor@example.org": ({"Editors"}, False),
            "moderator@example.org": ({"Moderators"}, False),
            "course.lead@example.org": ({"Course leads"}, False),
            "admin@example.org": (set(), True),
        }
        for email, (groups, is_superuser) in expected.items():
            with self.subTest(email=email):
                user = User.objects.get(email=email)
                self.assertEqual(set(user.groups.values_list("name", flat=True)), groups)
                self.assertEqual(user.is_superuser, is_superuser)
                self.assertTrue(user.full_name)
                self.assertTrue(EmailAddress.objects.get(user=user, email=email, verified=True, primary=True))
                self.assertTrue(Profile.objects.filter(user=user).exists())

    def test_default_site_root_is_the_home_page(self):
        site = Site.objects.get(is_default_site=True)

        self.assertIsInstance(site.root_page.specific, HomePage)
        # Wagtail's own placeholder 'home' page is replaced, not left beside the demo.
        self.assertFalse(Page.objects.filter(depth=2, slug="home").exists())

    def test_home_page_shows_three_reports_and_three_articles(self):
        response = self.client.get("/")

        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(len(response.context["latest_reports"]), 3)
        self.assertEqual(len(response.context["latest_articles"]), 3)
        content = response.content.decode()
        for item in [*REPORTS, *ARTICLES]:
            self.assertIn(escape(item["title"]), content)

    def test_demo_editor_can_sign_in(self):
        response = self.client.post("/account/login/", {"login": "editor@example.org", "password": DEMO_PASSWORD})

        self.assertEqual(response.status_code, HTTPStatus.FOUND)
        self.assertEqual(response.url, "/")
        self.assertEqual(int(self.client.session["_auth_user_id"]), User.objects.get(email="editor@example.org").pk)
