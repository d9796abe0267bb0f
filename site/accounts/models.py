from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserManager(DjangoUserManager):
    """Users are identified by email address alone."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(
        _("full name"),
        max_length=200,
        help_text=_("As it should appear on certificates."),
    )
    # Set when the holder closes the account: the row stays (payments and certificates point to it), anonymised.
    closed_at = models.DateTimeField(_("account closed"), null=True, blank=True, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["full_name", "email"]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ", 1)[0] if self.full_name else self.email


class Profile(models.Model):
    class ProfessionalBody(models.TextChoices):
        NONE = "", _("None")
        GMC = "gmc", _("General Medical Council (GMC)")
        NMC = "nmc", _("Nursing and Midwifery Council (NMC)")
        HCPC = "hcpc", _("Health and Care Professions Council (HCPC)")
        OTHER = "other", _("Other")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    job_role = models.CharField(_("job role"), max_length=200, blank=True)
    organisation = models.CharField(_("employing organisation"), max_length=200, blank=True)
    professional_body = models.CharField(
        _("professional body"),
        max_length=10,
        choices=ProfessionalBody.choices,
        blank=True,
    )
    professional_body_other = models.CharField(
        _("other professional body"),
        max_length=200,
        blank=True,
        help_text=_("If you chose 'Other'."),
    )
    registration_number = models.CharField(_("registration number"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("profile")

    def __str__(self):
        return f"Profile of {self.user}"
