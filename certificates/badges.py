"""A certificate as an Open Badges 3.0 credential (OpenBadgeCredential, Verifiable Credentials 2.0 form), for learners to
keep in a wallet or an ePortfolio. It validates against 1EdTech's schema (certificates/schemas/, copied unchanged from
../shared/schemas/). It carries no proof: we publish no signing key yet, so a relying party checks it against its
verification page, whose address is the credential's id."""

import datetime
import hashlib

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from .models import Certificate, CertificateTemplate
from .services import absolute_url

OB_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def issuer_name() -> str:
    """The organisation named on the programme's default certificate design (the site's name until there is one)."""
    design = CertificateTemplate.objects.filter(course__isnull=True).first()
    return design.organisation_name if design else settings.WAGTAIL_SITE_NAME


def issuer_profile() -> dict:
    """The issuing organisation as an OB 3.0 Profile, published at its own id."""
    return {
        "@context": OB_CONTEXT,
        "id": absolute_url(reverse("certificates:issuer")),
        "type": ["Profile"],
        "name": issuer_name(),
        "url": absolute_url("/"),
        "description": "Issuer of CPD certificates for its patient-safety investigation education programme.",
    }


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _day_start(day: datetime.date) -> str:
    return _iso(timezone.make_aware(datetime.datetime.combine(day, datetime.time.min)))


def _identity(certificate: Certificate) -> dict:
    """The learner's email as a salted hash: a wallet can match it to its holder, no one else can read it."""
    salt = hashlib.sha256(f"{settings.SECRET_KEY}:{certificate.code}".encode()).hexdigest()[:16]
    digest = hashlib.sha256((certificate.user.email.lower() + salt).encode()).hexdigest()
    return {
        "type": "IdentityObject",
        "hashed": True,
        "identityHash": f"sha256${digest}",
        "identityType": "emailAddress",
        "salt": salt,
    }


def certificate_credential(*, certificate: Certificate) -> dict:
    course = certificate.enrolment.cohort.course
    hours = float(certificate.cpd_hours)
    criteria = strip_tags(getattr(course.specific, "completion_requirements", "") or "").strip()
    accreditation = ""
    if certificate.accreditation_body:
        accreditation = f" Accredited by {certificate.accreditation_body}"
        if certificate.accreditation_reference:
            accreditation += f" (reference {certificate.accreditation_reference})"
        accreditation += "."
    achievement = {
        "id": absolute_url(course.url or "/") + "#achievement",
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": certificate.course_title,
        "description": f"Completion of the CPD-accredited course '{certificate.course_title}', worth {hours:g} CPD hours."
        + accreditation,
        "criteria": {"narrative": criteria or "Completion of the course, signed off by a course lead."},
        "creditsAvailable": hours,
        "fieldOfStudy": "Patient safety investigation",
        "inLanguage": "en-GB",
    }
    return {
        "@context": OB_CONTEXT,
        "id": absolute_url(certificate.get_verification_url()),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{certificate.course_title}: certificate of completion",
        "issuer": {key: value for key, value in issuer_profile().items() if key != "@context"},
        "validFrom": _iso(certificate.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": achievement,
            "creditsEarned": hours,
            "activityStartDate": _day_start(certificate.cohort_starts_on),
            "activityEndDate": _day_start(certificate.completed_on),
            "identifier": [_identity(certificate)],
        },
    }
