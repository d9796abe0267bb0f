"""Writes for a learner's CPD record: logging, changing and deleting activities (with their evidence files) and setting
the revalidation date. Each is all or nothing; an evidence file replaced or removed is deleted from storage only once
the database change has committed, so a failed save never loses the learner's file."""

import datetime

from django.db import transaction
from django.db.models.fields.files import FieldFile

from .models import CPDActivity, CPDProfile


def _delete_file_on_commit(name: str, storage) -> None:
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def cpd_activity_create(*, user, fields: dict) -> CPDActivity:
    """`fields` are the activity's model fields, as the activity form cleans them (evidence an uploaded file or None)."""
    activity = CPDActivity(user=user, **{name: value for name, value in fields.items() if name != "evidence"})
    if fields.get("evidence"):
        activity.evidence = fields["evidence"]
    activity.save()
    return activity


@transaction.atomic
def cpd_activity_update(*, activity: CPDActivity, fields: dict, remove_evidence: bool = False) -> CPDActivity:
    """Change the activity; a new evidence file replaces the old one, and `remove_evidence` drops it."""
    activity = CPDActivity.objects.select_for_update().get(pk=activity.pk, user_id=activity.user_id)
    old_evidence = activity.evidence.name
    for name, value in fields.items():
        if name != "evidence":
            setattr(activity, name, value)
    new_evidence = fields.get("evidence")
    # The form gives back the stored file itself when nothing new was chosen: only a fresh upload replaces it.
    if new_evidence and not isinstance(new_evidence, FieldFile):
        activity.evidence = new_evidence
    elif remove_evidence:
        activity.evidence = ""
    activity.save()
    if old_evidence and activity.evidence.name != old_evidence:
        _delete_file_on_commit(old_evidence, activity.evidence.storage)
    return activity


@transaction.atomic
def cpd_activity_delete(*, activity: CPDActivity) -> None:
    evidence = activity.evidence.name
    storage = activity.evidence.storage
    activity.delete()
    _delete_file_on_commit(evidence, storage)


@transaction.atomic
def cpd_revalidation_due_set(*, user, revalidation_due: datetime.date | None) -> CPDProfile:
    profile, _created = CPDProfile.objects.update_or_create(user=user, defaults={"revalidation_due": revalidation_due})
    return profile
