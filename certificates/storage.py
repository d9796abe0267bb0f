"""Files only their owner (or staff) may fetch: certificate PDFs and CPD evidence. They go to STORAGES["private"],
outside MEDIA_ROOT, so nothing serves them except the views that check who is asking."""

from django.core.files.storage import storages


def private_storage():
    return storages["private"]
