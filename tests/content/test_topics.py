"""Editors and moderators manage topics in the admin's Topics snippet; nobody else can."""

from http import HTTPStatus

from django.urls import reverse

import pytest

from content.factories import TopicFactory
from content.models import Topic
from tests.content.helpers import make_group_member, soup, texts

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/snippets/content/topic/"
ADD_URL = "/admin/snippets/content/topic/add/"


@pytest.fixture(params=["Editors", "Moderators"])
def staff(request):
    return make_group_member(request.param, f"{request.param.lower()}@example.org")


def test_staff_see_the_topics_listed_by_name(client, staff):
    TopicFactory(name="Medication safety", slug="medication")
    TopicFactory(name="Maternity", slug="maternity")
    client.force_login(staff)

    response = client.get(LIST_URL)

    assert response.status_code == HTTPStatus.OK
    rows = soup(response).select("table.listing tbody tr")
    assert [texts(row.select(".title-wrapper, td:last-child")) for row in rows] == [
        ["Maternity", "maternity"],
        ["Medication safety", "medication"],
    ]
    # The menu of each row offers editing and copying, but never deleting.
    assert texts(rows[0].select(".w-dropdown__content a")) == ["Edit", "Copy"]


def test_staff_search_topics(client, staff):
    TopicFactory(name="Medication safety")
    TopicFactory(name="Maternity")
    client.force_login(staff)

    response = client.get(LIST_URL, {"q": "medic"})

    assert response.status_code == HTTPStatus.OK
    assert "Medication safety" in response.text
    assert "Maternity" not in response.text


def test_staff_add_a_topic(client, staff):
    client.force_login(staff)
    assert client.get(ADD_URL).status_code == HTTPStatus.OK

    response = client.post(ADD_URL, {"name": "Sepsis", "slug": "sepsis", "description": "Recognising sepsis early."})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == LIST_URL
    topic = Topic.objects.get(slug="sepsis")
    assert (topic.name, topic.description) == ("Sepsis", "Recognising sepsis early.")
    assert "Sepsis" in client.get(LIST_URL).text


def test_staff_change_a_topic(client, staff):
    topic = TopicFactory(name="Sepsis", slug="sepsis")
    client.force_login(staff)

    response = client.post(
        reverse("wagtailsnippets_content_topic:edit", args=[topic.pk]),
        {"name": "Sepsis and deterioration", "slug": "sepsis", "description": ""},
    )

    assert response.status_code == HTTPStatus.FOUND
    topic.refresh_from_db()
    assert topic.name == "Sepsis and deterioration"


def test_a_topic_needs_a_unique_name_and_slug(client, staff):
    TopicFactory(name="Sepsis", slug="sepsis")
    client.force_login(staff)

    response = client.post(ADD_URL, {"name": "Sepsis", "slug": "sepsis", "description": ""})

    assert response.status_code == HTTPStatus.OK
    assert set(response.context["form"].errors) == {"name", "slug"}
    assert Topic.objects.count() == 1


def test_staff_cannot_delete_topics(client, staff):
    topic = TopicFactory(name="Sepsis")
    client.force_login(staff)

    client.post(reverse("wagtailsnippets_content_topic:delete", args=[topic.pk]))

    assert Topic.objects.filter(pk=topic.pk).exists()


def test_learners_cannot_reach_the_topics_admin(client, learner):
    client.force_login(learner)

    listing = client.get(LIST_URL)
    client.post(ADD_URL, {"name": "Sepsis", "slug": "sepsis", "description": ""})

    assert listing.status_code == HTTPStatus.FOUND
    assert "Sepsis" not in client.get(listing.url).text
    assert not Topic.objects.exists()


def test_visitors_are_asked_to_sign_in(client, db):
    response = client.get(LIST_URL)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))
