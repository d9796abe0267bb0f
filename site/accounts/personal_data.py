"""Everything the site holds about one person, and closing their account (UK GDPR articles 15, 17 and 20).

Each app knows its own data, so each contributes through two Wagtail hooks, the way apps add panels to the cohort
dashboard: `PERSONAL_DATA_HOOK` functions take a user and return a list of `Section`s for the download;
`ACCOUNT_CLOSE_HOOK` functions take a user and erase or anonymise what their app holds, keeping what the retention rule
in the privacy notice says the organisation must keep (payments, certificates).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.log_actions import log

PERSONAL_DATA_HOOK = "register_personal_data"
ACCOUNT_CLOSE_HOOK = "register_account_close"
CLOSED_EMAIL_DOMAIN = "closed.invalid"


@dataclass
class Section:
    """One kind of thing held about the person: its records as plain values, and a label for each key."""

    key: str
    title: str
    labels: dict[str, str]
    records: list[dict] = field(default_factory=list)

    def rows(self):
        """Each record as (label, value) pairs, for the readable page."""
        return [[(self.labels[key], value) for key, value in record.items()] for record in self.records]


def _plain(value):
    if isinstance(value, datetime.datetime):
        return (
            timezone.localtime(value).isoformat(timespec="seconds") if timezone.is_aware(value) else value.isoformat()
        )
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | dict | str | int | float | bool) or value is None:
        return value
    return str(value)


def model_section(key: str, title: str, objects, fields: list) -> Section:
    """A section of model instances: each entry of `fields` is a field name or a (key, label, getter) triple.

    Choice fields give their display text, so the download reads as the site does.
    """
    labels, getters = {}, {}
    model = objects.model if hasattr(objects, "model") else None
    for spec in fields:
        if isinstance(spec, tuple):
            name, label, getter = spec
        else:
            name = spec
            model_field = model._meta.get_field(name)
            label = capfirst(model_field.verbose_name)
            getter = (
                (lambda obj, n=name: getattr(obj, f"get_{n}_display")())
                if model_field.choices
                else (lambda obj, n=name: getattr(obj, n))
            )
        labels[name] = str(label)
        getters[name] = getter
    records = [{name: _plain(getter(obj)) for name, getter in getters.items()} for obj in objects]
    return Section(key=key, title=str(title), labels=labels, records=records)


def personal_data_collect(*, user) -> list[Section]:
    sections = []
    for contribute in hooks.get_hooks(PERSONAL_DATA_HOOK):
        sections.extend(contribute(user))
    return sections


def personal_data_json(*, user) -> dict:
    return {
        "generated_at": _plain(timezone.now()),
        "sections": {section.key: section.records for section in personal_data_collect(user=user)},
    }


def is_closed_address(email: str) -> bool:
    """The placeholder a closed account's address becomes: nothing may be sent to it."""
    return email.endswith(f"@{CLOSED_EMAIL_DOMAIN}")


class AccountCloseError(Exception):
    pass


@transaction.atomic
def account_close(*, user) -> None:
    """Erase or anonymise the person's data everywhere, then the account itself; it can never sign in again."""
    from .services import user_is_staff

    if user_is_staff(user=user):
        raise AccountCloseError(_("Staff accounts are closed by an administrator, who first hands over your work."))
    user.email = f"closed-{user.pk}@{CLOSED_EMAIL_DOMAIN}"
    user.full_name = ""
    user.is_active = False
    user.closed_at = timezone.now()
    # An unusable password also ends every session signed in elsewhere: Django checks the password hash per request.
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    # After the account is anonymised, so that what the apps keep (and relabel) no longer names the person.
    for close in hooks.get_hooks(ACCOUNT_CLOSE_HOOK):
        close(user)
    log(instance=user, action="accounts.close", user=user)


def log_labels_refresh(objects, label=str) -> None:
    """Relabel the audit-log entries of objects whose label named a person whose account is now closed."""
    from wagtail.models import ModelLogEntry

    for obj in objects:
        ModelLogEntry.objects.for_instance(obj).update(label=label(obj))


def account_sections(user) -> list[Section]:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    from .models import Profile, User

    return [
        model_section(
            "account",
            _("Your account"),
            User.objects.filter(pk=user.pk),
            ["email", "full_name", "date_joined", "last_login"],
        ),
        model_section(
            "email_addresses",
            _("Email addresses"),
            EmailAddress.objects.filter(user=user).order_by("-primary", "email"),
            ["email", "verified", "primary"],
        ),
        # Which second factors are set up, never their secrets.
        model_section(
            "two_factor_authentication",
            _("Two-factor authentication"),
            Authenticator.objects.filter(user=user).order_by("created_at"),
            [
                ("type", _("Method"), lambda a: a.get_type_display()),
                ("created_at", _("Set up"), lambda a: a.created_at),
            ],
        ),
        model_section(
            "profile",
            _("Your details"),
            Profile.objects.filter(user=user),
            ["job_role", "organisation", "professional_body", "professional_body_other", "registration_number"],
        ),
    ]


def account_erase(user) -> None:
    from wagtail.users.models import UserProfile

    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    from .models import Profile

    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    Profile.objects.filter(user=user).delete()
    for profile in UserProfile.objects.filter(user=user).exclude(avatar=""):
        transaction.on_commit(lambda storage=profile.avatar.storage, name=profile.avatar.name: storage.delete(name))
    UserProfile.objects.filter(user=user).delete()
    log_labels_refresh([user])
