"""What a backup must carry and a restore must bring back: applied migrations, row counts of the tables that matter, and
every file a FileField or ImageField points to. Everything iterates in chunks, so it runs on the scale data set
(100,000 learners, 20,000 certificates) in flat memory."""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage, storages
from django.db import connection, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from wagtail.documents import get_document_model
from wagtail.images import get_image_model

MANIFEST_FORMAT = "safety-learning-backup-manifest/1"
# Every table of these apps is counted; of Wagtail's, the pages, images and documents.
COUNTED_APPS = ("accounts", "courses", "assessments", "certificates", "content")
CHUNK_SIZE = 2000
READ_BYTES = 1024 * 1024


def counted_models() -> list[type[models.Model]]:
    found = []
    for label in COUNTED_APPS:
        found += [
            model for model in apps.get_app_config(label).get_models() if not model._meta.proxy and model._meta.managed
        ]
    found += [apps.get_model("wagtailcore", "Page"), get_image_model(), get_document_model()]
    return sorted(found, key=lambda model: model._meta.label)


def row_counts() -> dict[str, int]:
    # The base manager: a default manager that hides rows (live pages only, say) would hide them from the count too.
    return {model._meta.label: model._base_manager.count() for model in counted_models()}


def file_fields() -> list[tuple[type[models.Model], models.FileField]]:
    """Every FileField and ImageField of every installed model, each once (on the model whose table holds it)."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        found += [(model, field) for field in model._meta.local_concrete_fields if isinstance(field, models.FileField)]
    return sorted(found, key=lambda pair: (pair[0]._meta.label, pair[1].name))


def field_label(model, field) -> str:
    return f"{model._meta.label}.{field.name}"


def referenced_files(model, field) -> Iterator[tuple[object, str]]:
    """(pk, storage name) of each row whose field names a file, in primary-key order, fetched in chunks."""
    rows = (
        model._base_manager.exclude(**{f"{field.attname}__isnull": True})
        .exclude(**{field.attname: ""})
        .order_by("pk")
        .values_list("pk", field.attname)
    )
    yield from rows.iterator(chunk_size=CHUNK_SIZE)


def storage_label(storage) -> str:
    """The STORAGES alias a field's storage came from ("default", "private"), or its class when it has none."""
    if storage is default_storage:
        return "default"
    for alias in settings.STORAGES:
        if storages[alias] is storage:
            return alias
    return f"{type(storage).__module__}.{type(storage).__qualname__}"


def file_size(storage, name: str) -> int | None:
    """The stored file's size in bytes, or None when it is not there (or its name could never be in the storage)."""
    try:
        if not storage.exists(name):
            return None
        return storage.size(name)
    except (FileNotFoundError, SuspiciousFileOperation):
        return None


def file_sha256(storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        for chunk in iter(lambda: handle.read(READ_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def recorded_migrations() -> list[tuple[str, str]]:
    """(app, name) of every row in django_migrations."""
    return sorted(MigrationRecorder(connection).applied_migrations())


@dataclass(frozen=True)
class MigrationState:
    on_disk: int
    unapplied: list[tuple[str, str]]


def migration_state() -> MigrationState:
    """The migrations on disk (squashed ones counted as Django counts them) and those the database has not applied."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    on_disk = set(loader.graph.nodes)
    return MigrationState(on_disk=len(on_disk), unapplied=sorted(on_disk - set(loader.applied_migrations)))
