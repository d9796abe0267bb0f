"""What certificates holds about a learner, for their data download, and what closing their account does to it.

Retention: certificates stay, as issued, so that the accrediting body and employers can still be told that one was
issued; once the account is closed the public verification page says only that, never whose it is. The learner's own CPD
record (activities, reflections, evidence files, revalidation date) is deleted.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.personal_data import log_labels_refresh, model_section

from .forms import CPDActivityForm, evidence_filename
from .models import Certificate, CPDActivity, CPDProfile


def certificate_sections(user):
    return [
        model_section(
            "certificates",
            _("Certificates"),
            Certificate.objects.filter(user=user).order_by("issued_at", "pk"),
            [
                "code",
                "learner_name",
                "course_title",
                "cohort_code",
                "completed_on",
                "cpd_hours",
                "accreditation_body",
                "issued_at",
                "revoked_at",
                "revoke_reason",
            ],
        ),
        model_section(
            "cpd_activities",
            _("CPD activities you logged"),
            CPDActivity.objects.filter(user=user).order_by("date", "pk"),
            # What the learner typed in, as the form asks it; the evidence by the file's name.
            [
                *(name for name in CPDActivityForm.Meta.fields if name != "evidence"),
                ("evidence", _("Evidence"), evidence_filename),
                "created_at",
            ],
        ),
        model_section("cpd_profile", _("Revalidation"), CPDProfile.objects.filter(user=user), ["revalidation_due"]),
    ]


def certificates_close_account(user):
    activities = CPDActivity.objects.filter(user=user)
    files = [(activity.evidence.storage, activity.evidence.name) for activity in activities if activity.evidence]
    activities.delete()
    CPDProfile.objects.filter(user=user).delete()
    # The certificate keeps its snapshot of the name (retention); the audit trail, read by staff, need not repeat it.
    log_labels_refresh(Certificate.objects.filter(user=user), label=lambda c: f"{c.code}: {c.course_title}")
    # Files are not transactional: delete them only once the rows are surely gone.
    for storage, name in files:
        transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
