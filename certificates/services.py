"""Writes for certificates: issuing (idempotent), the PDF, revoking and reissuing. Each is all or nothing."""

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wagtail.log_actions import log

import segno

from courses.models import Enrolment

from .exceptions import CertificateError
from .models import Certificate
from .rendering import data_uri, pdf_from_template
from .selectors import completion_rule, design_for, rule_standing, valid_certificate, valid_codes_for_cohort


def absolute_url(path: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


@transaction.atomic
def certificate_issue(*, enrolment: Enrolment, by_user=None, reissue_of: Certificate | None = None, reason: str = ""):
    """The enrolment's certificate, issued now if the completion rule holds. Issuing twice gives the same certificate."""
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",)).select_related("cohort__course", "user").get(pk=enrolment.pk)
    )
    existing = valid_certificate(enrolment=enrolment)
    if existing is not None:
        return existing
    if enrolment.user.closed_at:
        raise CertificateError(_("The learner has closed their account: no certificate can be issued."), "closed")
    standing = rule_standing(enrolment=enrolment)
    if not standing.holds:
        unmet = ", ".join(check.label for check in standing.checks if not check.met)
        raise CertificateError(
            _("%(name)s does not meet the completion rule yet: %(unmet)s.") % {"name": enrolment.user, "unmet": unmet},
            "rule_not_met",
        )
    cohort, course = enrolment.cohort, enrolment.cohort.course.specific
    design = design_for(course=course)
    if design is None:
        raise CertificateError(_("There is no certificate design: add one under Settings first."), "no_design")
    revision = design.latest_revision or design.save_revision()
    recorded = enrolment.completion_recorded_at
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(
                enrolment=enrolment,
                user=enrolment.user,
                learner_name=enrolment.user.full_name or enrolment.user.email,
                course_title=course.title,
                cohort_code=cohort.code,
                cohort_starts_on=cohort.starts_on,
                cohort_ends_on=cohort.ends_on,
                completed_on=timezone.localdate(recorded) if recorded else timezone.localdate(),
                cpd_hours=course.cpd_hours,
                accreditation_body=course.accreditation_body,
                accreditation_reference=course.accreditation_reference,
                template_revision=revision,
                issued_by=by_user,
                reissue_of=reissue_of,
                reissue_reason=reason,
            )
    except IntegrityError:
        # Another worker issued it between our check and insert (the constraint allows one valid certificate).
        return valid_certificate(enrolment=enrolment)
    log(instance=certificate, action="certificates.reissue" if reissue_of else "certificates.issue", user=by_user)
    return certificate


def certificates_issue_for_cohort(*, cohort, by_user) -> tuple[list[Certificate], list[Enrolment]]:
    """Issue to everyone on the cohort who meets the rule and has none yet; returns (issued now, not meeting it)."""
    holding = valid_codes_for_cohort(cohort=cohort)
    issued, not_met = [], []
    for standing in completion_rule(cohort=cohort).values():
        if not standing.holds:
            not_met.append(standing.enrolment)
        elif standing.enrolment.pk not in holding:
            issued.append(certificate_issue(enrolment=standing.enrolment, by_user=by_user))
    for certificate in issued:
        certificate_pdf_queue(certificate=certificate)
    return issued, not_met


def certificate_pdf_queue(*, certificate: Certificate) -> None:
    from .tasks import certificate_pdf_render

    certificate_id = certificate.pk
    transaction.on_commit(lambda: certificate_pdf_render.enqueue(certificate_id=certificate_id))


def certificate_qr_svg(*, certificate: Certificate) -> str:
    """The QR code printed on the certificate: the absolute address of its verification page."""
    qr = segno.make(absolute_url(certificate.get_verification_url()), error="m")
    return qr.svg_data_uri(scale=4, border=2)


def certificate_pdf_bytes(*, certificate: Certificate) -> bytes:
    """The PDF, drawn from the design revision the certificate was issued with."""
    design = certificate.template_revision.as_object()
    images = {}
    for role in ("logo", "signature"):
        image = getattr(design, role, None)
        if image is not None:
            try:
                with image.file.open("rb") as handle:
                    images[role] = data_uri(handle.read(), image.file.name)
            except (FileNotFoundError, OSError):
                images[role] = None  # a deleted image leaves its space empty rather than stopping the certificate
    return pdf_from_template(
        "certificates/certificate_pdf.html",
        {
            "certificate": certificate,
            "design": design,
            "logo": images.get("logo"),
            "signature": images.get("signature"),
            "qr": certificate_qr_svg(certificate=certificate),
            "verification_url": absolute_url(certificate.get_verification_url()),
        },
    )


def certificate_pdf_ensure(*, certificate: Certificate) -> Certificate:
    """Make the PDF once and keep it; make it again if the stored file has gone. A revoked certificate gets none."""
    if certificate.is_revoked:
        raise CertificateError(_("This certificate has been revoked."), "revoked")
    if certificate.pdf and certificate.pdf.storage.exists(certificate.pdf.name):
        return certificate
    content = certificate_pdf_bytes(certificate=certificate)
    certificate.pdf.save(f"{certificate.code}.pdf", ContentFile(content), save=False)
    Certificate.objects.filter(pk=certificate.pk).update(pdf=certificate.pdf.name)
    return certificate


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, by_user, reason: str) -> Certificate:
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_("Give the reason for revoking this certificate."), "no_reason")
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.is_revoked:
        raise CertificateError(_("This certificate is already revoked."), "revoked")
    certificate.revoked_at, certificate.revoked_by, certificate.revoke_reason = timezone.now(), by_user, reason
    certificate.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    if certificate.pdf:
        name = certificate.pdf.name
        transaction.on_commit(lambda: certificate.pdf.storage.delete(name))
        Certificate.objects.filter(pk=certificate.pk).update(pdf="")
    log(instance=certificate, action="certificates.revoke", user=by_user, data={"reason": reason})
    return certificate


@transaction.atomic
def certificate_reissue(*, certificate: Certificate, by_user, reason: str) -> Certificate:
    """Revoke this certificate and issue a new one (new code, fresh snapshot: a corrected name, say) in its place."""
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_("Give the reason for reissuing this certificate."), "no_reason")
    if not certificate.is_revoked:
        certificate = certificate_revoke(
            certificate=certificate, by_user=by_user, reason=_("Reissued: %(reason)s") % {"reason": reason}
        )
    if hasattr(certificate, "reissued_as"):
        raise CertificateError(_("This certificate has already been reissued."), "reissued")
    new = certificate_issue(enrolment=certificate.enrolment, by_user=by_user, reissue_of=certificate, reason=reason)
    certificate_pdf_queue(certificate=new)
    return new
