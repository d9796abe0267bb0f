"""Builds the demo site: page tree, topics, images, documents and one account per role. Safe to run again."""

import datetime
import io

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils.text import slugify

from wagtail import hooks
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, Page, Site

from allauth.account.models import EmailAddress
from PIL import Image as PILImage
from PIL import ImageDraw

from accounts.models import Profile, User
from content.models import (
    ArticleIndexPage,
    ArticlePage,
    HomePage,
    NavigationSettings,
    ReportIndexPage,
    ReportSummaryPage,
    SafetyObservation,
    SafetyRecommendation,
    StandardPage,
    Topic,
)

from . import text


def make_image(title, colour):
    Image = get_image_model()
    existing = Image.objects.filter(title=title).first()
    if existing:
        return existing
    picture = PILImage.new("RGB", (960, 540), colour)
    draw = ImageDraw.Draw(picture)
    for offset in range(0, 960, 60):
        draw.line([(offset, 540), (offset + 270, 0)], fill="#ffffff", width=2)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    image = Image(title=title, collection=Collection.get_first_root_node())
    image.file = ImageFile(io.BytesIO(buffer.getvalue()), name=f"{slugify(title)[:60]}.png")
    image.save()
    return image


def make_pdf(title):
    """A small, valid one-page PDF standing in for a full report."""
    safe = title.replace("(", "").replace(")", "")[:90]
    stream = f"BT /F1 14 Tf 50 780 Td ({safe}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def make_document(title, slug):
    Document = get_document_model()
    existing = Document.objects.filter(title=title).first()
    if existing:
        return existing
    document = Document(title=title, collection=Collection.get_first_root_node())
    document.file = ContentFile(make_pdf(title), name=f"{slug[:60]}.pdf")
    document.save()
    return document


def topics_named(names):
    return [Topic.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0] for name in names]


def child(parent, model, slug, **fields):
    """The child page of `parent` with this slug, created and published if missing."""
    existing = parent.get_children().filter(slug=slug).first()
    if existing:
        return existing.specific
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def build_home():
    site = Site.objects.get(is_default_site=True)
    if isinstance(site.root_page.specific, HomePage):
        return site.root_page.specific
    root = Page.get_first_root_node()
    home = child(root, HomePage, "safety-investigation-learning", title="Home", **text.HOME)
    old_root = site.root_page
    site.root_page = home
    site.site_name = "Safety investigation learning"
    site.save()
    if old_root.depth == 2 and old_root.slug == "home" and not old_root.get_children().exists():
        old_root.delete()
    return home


def build_reports(index):
    pages = []
    for data in text.REPORTS:
        existing = index.get_children().filter(slug=data["slug"]).first()
        if existing:
            pages.append(existing.specific)
            continue
        page = ReportSummaryPage(
            slug=data["slug"],
            title=data["title"],
            reference=data["reference"],
            publication_date=datetime.date(*data["date"]),
            summary=data["summary"],
            event_in_brief=data["event"],
            findings=data["findings"],
            learning_prompts=data["prompts"],
            image=make_image(data["title"][:100], data["colour"]),
            full_report=make_document(f"Full report: {data['title']}"[:250], data["slug"]),
        )
        page.recommendations = [
            SafetyRecommendation(code=code, addressed_to=to, text=body) for code, to, body in data["recommendations"]
        ]
        page.observations = [SafetyObservation(code=code, text=body) for code, body in data["observations"]]
        page.topics = topics_named(data["topics"])
        index.add_child(instance=page)
        page.save_revision().publish()
        pages.append(page)
    return pages


def build_articles(index):
    for data in text.ARTICLES:
        if index.get_children().filter(slug=data["slug"]).exists():
            continue
        author = data.get("author", ("", "", False))
        page = ArticlePage(
            slug=data["slug"],
            title=data["title"],
            kind=data["kind"],
            publication_date=datetime.date(*data["date"]),
            teaser=data["teaser"],
            image=make_image(data["title"][:100], data["colour"]),
            body=data["body"],
            author_name=author[0],
            author_role=author[1],
            author_is_guest=author[2],
        )
        page.topics = topics_named(data["topics"])
        index.add_child(instance=page)
        page.save_revision().publish()


def build_accounts():
    for data in text.ACCOUNTS:
        user = User.objects.filter(email=data["email"]).first()
        if user is None:
            user = User.objects.create_user(email=data["email"], password=text.DEMO_PASSWORD, full_name=data["name"])
        user.is_superuser = user.is_staff = bool(data.get("superuser"))
        user.save()
        if data.get("group"):
            user.groups.add(Group.objects.get(name=data["group"]))
        EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
        Profile.objects.update_or_create(
            user=user,
            defaults={
                "job_role": data.get("job", data["role"]),
                "organisation": data.get("org", ""),
            },
        )


@transaction.atomic
def build_demo():
    home = build_home()
    reports = child(
        home,
        ReportIndexPage,
        "reports",
        title="Investigation reports",
        introduction="Summaries of our national investigations, their findings and safety recommendations.",
    )
    news = child(
        home,
        ArticleIndexPage,
        "news",
        title="News and blogs",
        introduction="News, blogs and events from our investigation and education teams.",
    )
    about = child(
        home,
        StandardPage,
        "about-us",
        title="About us",
        introduction=text.ABOUT_US["intro"],
        body=[("rich_text", text.ABOUT_US["body"])],
    )
    education = child(
        home,
        StandardPage,
        "education",
        title="Courses",
        introduction=text.EDUCATION["intro"],
        body=[("rich_text", text.EDUCATION["body"])],
    )
    build_reports(reports)
    build_articles(news)

    if not home.hero_link_id:
        home.hero_link, home.about_link, home.investigations_link = (
            about,
            about,
            reports,
        )
        home.education_link = education
        home.save_revision().publish()

    nav = NavigationSettings.for_site(Site.objects.get(is_default_site=True))
    if not nav.links:
        nav.links = [
            ("link", {"page": page, "label": label})
            for page, label in [
                (education, "Courses"),
                (reports, "Investigation reports"),
                (news, "News and blogs"),
                (about, "About us"),
            ]
        ]
        nav.save()
    build_accounts()
    # Other apps add their demo content here (courses adds the catalogue) without content importing them.
    for fn in hooks.get_hooks("build_demo_content"):
        fn(home)
    return home
