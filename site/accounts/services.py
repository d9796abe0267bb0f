from django.db import transaction

import admin_chrome

from .models import Profile, User


def profile_get_or_create(*, user: User) -> Profile:
    profile, _created = Profile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def user_update_details(*, user: User, full_name: str, profile_data: dict) -> Profile:
    user.full_name = full_name
    user.save(update_fields=["full_name"])
    profile = profile_get_or_create(user=user)
    for field, value in profile_data.items():
        setattr(profile, field, value)
    profile.full_clean()
    profile.save()
    return profile


def user_has_mfa(*, user: User) -> bool:
    """Whether they have an authenticator app. Asked on every admin request, so kept between requests
    (admin_chrome.kept): adding or removing an authenticator retires the answer."""
    from allauth.mfa.models import Authenticator

    return admin_chrome.kept(
        f"mfa:{user.pk}", lambda: Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    )


def user_is_staff(*, user: User) -> bool:
    """Staff are the people who can open the Wagtail admin: editors, moderators, course leads, administrators."""
    return user.is_authenticated and (user.is_superuser or user.has_perm("wagtailadmin.access_admin"))


def email_confirm_by_password_reset(*, user: User) -> bool:
    """A password set from an emailed reset link proves the person reads that mailbox; confirm it if it is the only one.

    Someone enrolled by their organisation gets an account and a set-password link; without this they would set a
    password and then be asked to confirm the same address again. With more than one address we cannot tell which
    one the link went to, so nothing is confirmed.
    """
    from allauth.account.models import EmailAddress

    addresses = list(EmailAddress.objects.filter(user=user))
    if len(addresses) != 1 or addresses[0].verified:
        return False
    addresses[0].verified = True
    addresses[0].save(update_fields=["verified"])
    return True


def user_roles(*, user: User) -> dict:
    """What the person may do: their groups and the two flags that grant more than any group."""
    return {
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "is_superuser": user.is_superuser,
        "is_active": user.is_active,
    }


def user_roles_log(*, user: User, before: dict | None, by_user) -> bool:
    """Record in the audit trail how an administrator changed someone's roles; nothing if they are unchanged."""
    from wagtail.log_actions import log

    after = user_roles(user=user)
    before = before or {"groups": [], "is_superuser": False, "is_active": False}
    if after == before:
        return False
    data = {
        "added": sorted(set(after["groups"]) - set(before["groups"])),
        "removed": sorted(set(before["groups"]) - set(after["groups"])),
        **{flag: after[flag] for flag in ("is_superuser", "is_active") if after[flag] != before[flag]},
    }
    log(instance=user, action="accounts.roles_change", user=by_user, data=data)
    return True
