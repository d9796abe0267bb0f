from django.db import transaction

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
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def user_is_staff(*, user: User) -> bool:
    """Staff are the people who can open the Wagtail admin: editors, moderators, course leads, administrators."""
    return user.is_authenticated and (user.is_superuser or user.has_perm("wagtailadmin.access_admin"))
