"""Certificates (a snapshot of what was completed, with a public code and the template revision it was issued with) and
each learner's CPD record (activities they log themselves, with reflections for NMC revalidation)."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.models import RevisionMixin

from .storage import private_storage

# Codes read aloud or typed from paper: no 0/O, 1/I/L. 12 characters from 31 is about 59 bits, beyond guessing.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12


def certificate_code_new() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def certificate_code_normalise(typed: str) -> str:
    """What someone typed (any case, spaces or no dashes) in the stored form, XXXX-XXXX-XXXX."""
    raw = "".join(ch for ch in (typed or "").upper() if ch.isalnum())
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


class CertificateTemplate(RevisionMixin, models.Model):
    """The design a certificate is printed with. Every save is a revision, and each certificate keeps the one it was
    issued with, so a later edit (a new signatory, say) never rewrites certificates already issued."""

    name = models.CharField(_("name"), max_length=100)
    course = models.OneToOneField(
        "courses.CoursePage",
        verbose_name=_("course"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certificate_template",
        help_text=_("Leave empty for the design every other course uses."),
    )
    organisation_name = models.CharField(_("organisation name"), max_length=200)
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    heading = models.CharField(_("heading"), max_length=100, default="Certificate of completion")
    statement = models.CharField(
        _("statement"), max_length=200, default="has successfully completed the CPD-accredited course"
    )
    signatory_name = models.CharField(_("signatory's name"), max_length=100)
    signatory_role = models.CharField(_("signatory's role"), max_length=150)
    signature = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("signature"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("An image of the signature, on a white or transparent background."),
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("course"),
        MultiFieldPanel([FieldPanel("organisation_name"), FieldPanel("logo")], heading=_("Organisation")),
        MultiFieldPanel([FieldPanel("heading"), FieldPanel("statement")], heading=_("Wording")),
        MultiFieldPanel(
            [FieldPanel("signatory_name"), FieldPanel("signatory_role"), FieldPanel("signature")],
            heading=_("Signature block"),
        ),
    ]

    class Meta:
        verbose_name = _("certificate design")
        verbose_name_plural = _("certificate designs")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["course"], condition=Q(course__isnull=True), name="one_default_design")
        ]

    def __str__(self):
        return self.name


class Certificate(models.Model):
    """One learner's completion of one cohort, as it stood when issued. Revoked certificates stay, marked revoked."""

    enrolment = models.ForeignKey(
        "courses.Enrolment", verbose_name=_("enrolment"), on_delete=models.PROTECT, related_name="certificates"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.PROTECT, related_name="certificates"
    )
    code = models.CharField(_("code"), max_length=20, unique=True, default=certificate_code_new, editable=False)

    # The snapshot: what the certificate says, whatever later happens to the account, course or cohort.
    learner_name = models.CharField(_("learner's name"), max_length=200)
    course_title = models.CharField(_("course"), max_length=255)
    cohort_code = models.CharField(_("cohort"), max_length=20)
    cohort_starts_on = models.DateField(_("cohort started"))
    cohort_ends_on = models.DateField(_("cohort ended"))
    completed_on = models.DateField(_("completed on"))
    cpd_hours = models.DecimalField(_("CPD hours"), max_digits=5, decimal_places=1)
    accreditation_body = models.CharField(_("accreditation body"), max_length=200, blank=True)
    accreditation_reference = models.CharField(_("accreditation reference"), max_length=100, blank=True)
    template_revision = models.ForeignKey(
        "wagtailcore.Revision",
        verbose_name=_("design revision"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when issued automatically on sign-off."),
    )
    pdf = models.FileField(_("PDF"), storage=private_storage, upload_to="certificates/", blank=True)

    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoke_reason = models.TextField(_("reason for revoking"), blank=True)
    reissue_of = models.OneToOneField(
        "self",
        verbose_name=_("reissue of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reissued_as",
    )
    reissue_reason = models.TextField(_("reason for reissuing"), blank=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            # Issuing is idempotent: at most one valid certificate per enrolment, whatever runs twice.
            models.UniqueConstraint(
                fields=["enrolment"], condition=Q(revoked_at__isnull=True), name="one_valid_certificate_per_enrolment"
            )
        ]

    def __str__(self):
        return f"{self.code}: {self.learner_name}, {self.course_title}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def get_verification_url(self) -> str:
        return reverse("certificates:verify", args=[self.code])


class ActivityType(models.TextChoices):
    COURSE = "course", _("Course or workshop")
    ELEARNING = "elearning", _("E-learning")
    CONFERENCE = "conference", _("Conference or seminar")
    SUPERVISION = "supervision", _("Supervision, mentoring or coaching")
    READING = "reading", _("Reading or research")
    SHADOWING = "shadowing", _("Shadowing or a visit")
    OTHER = "other", _("Other")


class CPDActivity(models.Model):
    """An activity the learner logs themselves, with a reflection written to the NMC revalidation prompts."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.CASCADE, related_name="cpd_activities"
    )
    title = models.CharField(_("title"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    activity_type = models.CharField(_("type"), max_length=20, choices=ActivityType.choices)
    date = models.DateField(_("date"))
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("200"))],
    )
    participatory = models.BooleanField(
        _("participatory"),
        default=False,
        help_text=_("Learning with others: a course, workshop, conference or discussion, in person or online."),
    )
    # The NMC's reflective account form asks these four questions.
    reflection_what = models.TextField(_("what was the nature of the CPD activity?"), blank=True)
    reflection_learned = models.TextField(_("what did you learn from it?"), blank=True)
    reflection_practice = models.TextField(_("how did you change or improve your practice as a result?"), blank=True)
    reflection_code = models.TextField(_("how is this relevant to the Code?"), blank=True)
    evidence = models.FileField(
        _("evidence"),
        storage=private_storage,
        upload_to="cpd-evidence/",
        blank=True,
        validators=[FileExtensionValidator(["pdf", "png", "jpg", "jpeg", "docx", "txt"])],
    )
    created_at = models.DateTimeField(_("logged"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("CPD activity")
        verbose_name_plural = _("CPD activities")
        ordering = ["-date", "-pk"]

    def __str__(self):
        return self.title

    @property
    def has_reflection(self) -> bool:
        """A written reflective account for revalidation answers all four prompts."""
        return all(
            text.strip()
            for text in (self.reflection_what, self.reflection_learned, self.reflection_practice, self.reflection_code)
        )


class CPDProfile(models.Model):
    """What the record needs to know about the learner's revalidation: when their next one is due."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.CASCADE, related_name="cpd_profile"
    )
    revalidation_due = models.DateField(
        _("next revalidation date"),
        null=True,
        blank=True,
        help_text=_("The date on your NMC online account. The record counts the three years up to it."),
    )

    class Meta:
        verbose_name = _("CPD profile")

    def __str__(self):
        return str(self.user)
