"""People and parsing shared by the content tests."""

from django.contrib.auth.models import Group

from wagtail.test.utils.form_data import inline_formset, nested_form_data

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from bs4 import BeautifulSoup

from accounts.factories import UserFactory
from accounts.models import User


def with_authenticator(user):
    """Give the user an authenticator app, as staff must have before the admin opens (STAFF_MFA_REQUIRED)."""
    TOTP.activate(user, generate_totp_secret())
    return user


def make_superuser(email="admin@example.org"):
    return with_authenticator(User.objects.create_superuser(email=email, password=None, full_name="Ada Admin"))


def make_group_member(group_name, email):
    """A member of one of the editorial groups made by the 0002 data migration, with an authenticator."""
    user = UserFactory(email=email, full_name=f"{group_name[:-1]} {email.split('@')[0].title()}")
    user.groups.add(Group.objects.get(name=group_name))
    return with_authenticator(user)


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def texts(elements):
    """The visible text of each element, with runs of whitespace collapsed."""
    return [" ".join(element.get_text().split()) for element in elements]


def page_form(page, **fields):
    """The edit form's data for `page` as the admin edit form posts it: title, slug, an empty comments formset, plus `fields`.

    Lists (multiple choices such as topics) are posted as repeated values, not flattened by nested_form_data.
    """
    choices = {name: value for name, value in fields.items() if isinstance(value, list)}
    data = nested_form_data(
        {
            "title": page.title,
            "slug": page.slug,
            "comments": inline_formset([]),
            **{name: value for name, value in fields.items() if name not in choices},
        }
    )
    return {**data, **choices}
