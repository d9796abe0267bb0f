"""Issue the certificate when a course lead signs a learner off as completed: courses knows nothing of certificates, so
certificates listens for the enrolment's save (courses' sign-off service saves with update_fields)."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from courses.models import Enrolment, EnrolmentStatus


@receiver(post_save, sender=Enrolment, dispatch_uid="certificates_issue_on_completion")
def issue_on_completion(sender, instance, **kwargs):
    if instance.status != EnrolmentStatus.COMPLETED:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "status" not in update_fields:
        return
    from .tasks import certificate_issue_automatically

    enrolment_id = instance.pk
    transaction.on_commit(lambda: certificate_issue_automatically.enqueue(enrolment_id=enrolment_id))
