import factory
from factory.django import DjangoModelFactory

from .models import Profile, User

TEST_PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - factories only


class UserFactory(DjangoModelFactory):
    email = factory.Sequence(lambda n: f"learner{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Learner {n}")
    password = factory.django.Password(TEST_PASSWORD)

    class Meta:
        model = User
        django_get_or_create = ["email"]


class ProfileFactory(DjangoModelFactory):
    user = factory.SubFactory(UserFactory)
    job_role = "Staff nurse"
    organisation = "Example NHS Foundation Trust"

    class Meta:
        model = Profile
        django_get_or_create = ["user"]
