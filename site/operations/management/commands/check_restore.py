"""`manage.py check_restore [--manifest FILE]`: is this restored database, with its media, whole? One line per check,
then a summary; a CommandError (non-zero exit) if any check failed. It only reads (docs/backups.md)."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.db.models import Count, Exists, OuterRef

from wagtail.models import Page

from certificates.models import Certificate
from courses.models import Enrolment
from operations import inventory

SHOWN = 5  # of each kind of problem, the first few are named; the count covers them all

TREE_PROBLEMS = (
    "with characters outside the path alphabet",
    "with a path of the wrong length",
    "orphaned",
    "at the wrong depth for their path",
    "with the wrong number of children",
)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str


def passed(detail: str) -> Outcome:
    return Outcome(True, detail)


def failed(detail: str) -> Outcome:
    return Outcome(False, detail)


def first_few(items: list[str], total: int) -> str:
    more = f" and {total - len(items)} more" if total > len(items) else ""
    return "; ".join(items) + more


# --- the manifest -----------------------------------------------------------------------------------------------------


def manifest_load(path: str) -> dict:
    """The manifest `backup_manifest` wrote, checked for shape before anything is compared with it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise CommandError(f"There is no manifest at {path}.") from error
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"Could not read the manifest {path}: {error}.") from error
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"{path} is not JSON ({error}): is it a whole manifest from backup_manifest?") from error
    if not isinstance(manifest, dict) or manifest.get("format") != inventory.MANIFEST_FORMAT:
        raise CommandError(
            f"{path} is not a manifest written by backup_manifest (no format {inventory.MANIFEST_FORMAT!r})."
        )
    migrations, counts, files = manifest.get("migrations"), manifest.get("row_counts"), manifest.get("files")
    if not (
        isinstance(migrations, list)
        and all(
            isinstance(key, list) and len(key) == 2 and all(isinstance(part, str) for part in key) for key in migrations
        )
    ):
        raise CommandError(f"The manifest {path} is damaged: 'migrations' must be a list of [app, name] pairs.")
    if not (
        isinstance(counts, dict)
        and all(isinstance(count, int) and not isinstance(count, bool) and count >= 0 for count in counts.values())
    ):
        raise CommandError(f"The manifest {path} is damaged: 'row_counts' must map each model to a whole number.")
    if not (
        isinstance(files, list)
        and all(
            isinstance(entry, dict)
            and isinstance(entry.get("model"), str)
            and isinstance(entry.get("field"), str)
            and isinstance(entry.get("name"), str)
            and (entry.get("missing") or (isinstance(entry.get("size"), int) and not isinstance(entry["size"], bool)))
            for entry in files
        )
    ):
        raise CommandError(
            f"The manifest {path} is damaged: each entry of 'files' needs a model, field, name and size."
        )
    return manifest


# --- the checks -------------------------------------------------------------------------------------------------------


def check_migrations() -> Outcome:
    state = inventory.migration_state()
    if state.unapplied:
        names = [f"{app}.{name}" for app, name in state.unapplied[:SHOWN]]
        return failed(
            f"{len(state.unapplied)} of {state.on_disk} migrations on disk are not applied: "
            f"{first_few(names, len(state.unapplied))}"
        )
    return passed(f"all {state.on_disk} migrations on disk are applied")


def check_page_tree() -> Outcome:
    problems = Page.find_problems()
    found = [
        f"{len(ids)} pages {what} (ids {', '.join(map(str, ids[:SHOWN]))})"
        for what, ids in zip(TREE_PROBLEMS, problems, strict=True)
        if ids
    ]
    if found:
        return failed("; ".join(found) + ": `manage.py fixtree` reports them and repairs what it can")
    return passed(f"{Page._base_manager.count()} pages, no problems in the tree")


def check_files() -> Outcome:
    total, missing, shown = 0, 0, []
    for model, field in inventory.file_fields():
        storage = field.storage
        for pk, name in inventory.referenced_files(model, field):
            total += 1
            if inventory.file_size(storage, name) is None:
                missing += 1
                if len(shown) < SHOWN:
                    shown.append(
                        f"{inventory.field_label(model, field)} #{pk}: {name} ({inventory.storage_label(storage)})"
                    )
    if missing:
        return failed(f"{missing} of {total} referenced files are missing: {first_few(shown, missing)}")
    return passed(f"all {total} referenced files are in their storage")


def check_certificates() -> Outcome:
    certificates = Certificate._base_manager.order_by()
    duplicates = list(
        certificates.values("code").annotate(uses=Count("pk")).filter(uses__gt=1).values_list("code", "uses")
    )
    orphans = certificates.filter(~Exists(Enrolment._base_manager.filter(pk=OuterRef("enrolment_id"))))
    orphan_count = orphans.count()
    problems = []
    if duplicates:
        shown = [f"{code} ({uses} times)" for code, uses in duplicates[:SHOWN]]
        problems.append(f"{len(duplicates)} public codes used more than once: {first_few(shown, len(duplicates))}")
    if orphan_count:
        shown = [
            f"{code} (enrolment {enrolment})" for code, enrolment in orphans.values_list("code", "enrolment_id")[:SHOWN]
        ]
        problems.append(f"{orphan_count} certificates whose enrolment is missing: {first_few(shown, orphan_count)}")
    if problems:
        return failed("; ".join(problems))
    return passed(f"{certificates.count()} issued, public codes unique, every enrolment present")


def check_manifest_migrations(manifest) -> Outcome:
    applied = set(inventory.recorded_migrations())
    absent = [f"{app}.{name}" for app, name in manifest["migrations"] if (app, name) not in applied]
    if absent:
        return failed(
            f"{len(absent)} migrations applied when the manifest was taken are not applied here: "
            f"{first_few(absent[:SHOWN], len(absent))}"
        )
    return passed(f"all {len(manifest['migrations'])} migrations in the manifest are applied")


def check_row_counts(manifest) -> Outcome:
    short = []
    for label, expected in sorted(manifest["row_counts"].items()):
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            short.append(f"{label}: no such model here (manifest {expected})")
            continue
        present = model._base_manager.count()
        if present < expected:
            short.append(f"{label}: {present} rows, fewer than the manifest's {expected}")
    if short:
        return failed(f"{len(short)} tables have fewer rows than the manifest: {first_few(short[:SHOWN], len(short))}")
    return passed(f"{len(manifest['row_counts'])} tables, each with at least the manifest's rows")


def check_manifest_files(manifest) -> Outcome:
    compared, gone_before, problems = 0, 0, []
    storages = {}
    for entry in manifest["files"]:
        if entry.get("missing"):
            gone_before += 1  # missing when the backup was taken: no restore can bring it back
            continue
        compared += 1
        where = f"{entry['model']}.{entry['field']}: {entry['name']}"
        key = (entry["model"], entry["field"])
        if key not in storages:
            try:
                storages[key] = apps.get_model(entry["model"])._meta.get_field(entry["field"]).storage
            except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
                storages[key] = None
        storage = storages[key]
        if storage is None:
            problems.append(f"{where} (no such file field here)")
            continue
        size = inventory.file_size(storage, entry["name"])
        if size is None:
            problems.append(f"{where} (missing)")
        elif size != entry["size"]:
            problems.append(f"{where} ({size} bytes, the manifest says {entry['size']})")
        elif entry.get("sha256") and inventory.file_sha256(storage, entry["name"]) != entry["sha256"]:
            problems.append(f"{where} (same size, different SHA-256)")
    before = f"; {gone_before} missing already when it was taken, not compared" if gone_before else ""
    if problems:
        return failed(
            f"{len(problems)} of {compared} files in the manifest are missing or changed: "
            f"{first_few(problems[:SHOWN], len(problems))}{before}"
        )
    checked = "size and SHA-256" if manifest.get("checksums") else "size"
    return passed(f"all {compared} files in the manifest are here with the same {checked}{before}")


class Command(BaseCommand):
    help = (
        "Check a restored database and its media: migrations applied, page tree sound, every referenced file present, "
        "certificates consistent, and with --manifest, nothing fewer or different than when the backup was taken."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--manifest", metavar="FILE", help="The manifest backup_manifest wrote when the backup was taken."
        )

    def handle(self, *args, **options):
        # Read first: a bad manifest stops the run before any check, with the reason.
        manifest = manifest_load(options["manifest"]) if options["manifest"] else None
        self.results: list[tuple[str, Outcome]] = []

        database = self.run("database", self.check_database)
        if not database.ok:
            self.finish()
        self.run("migrations", check_migrations)
        self.run("page tree", check_page_tree)
        self.run("files", check_files)
        self.run("certificates", check_certificates)
        if manifest is not None:
            self.run("manifest migrations", lambda: check_manifest_migrations(manifest))
            self.run("row counts", lambda: check_row_counts(manifest))
            self.run("manifest files", lambda: check_manifest_files(manifest))
        self.finish()

    def check_database(self) -> Outcome:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError as error:
            return failed(f"{connection.vendor} does not answer: {error}".strip())
        return passed(f"{connection.vendor} answers ({connection.settings_dict['NAME']})")

    def run(self, name: str, check: Callable[[], Outcome]) -> Outcome:
        try:
            outcome = check()
        except DatabaseError as error:
            # A table missing altogether, say: the check fails with the reason, and the others still run.
            outcome = failed(f"the database refused the query: {error}".strip())
        self.results.append((name, outcome))
        if outcome.ok:
            self.stdout.write(f"ok      {name}: {outcome.detail}", self.style.SUCCESS)
        else:
            self.stdout.write(f"FAILED  {name}: {outcome.detail}", self.style.ERROR)
        return outcome

    def finish(self):
        failures = [name for name, outcome in self.results if not outcome.ok]
        total = len(self.results)
        if failures:
            self.stdout.write(
                f"{total} checks: {total - len(failures)} ok, {len(failures)} FAILED ({', '.join(failures)})."
            )
            raise CommandError(f"The restore check failed: {', '.join(failures)}.")
        self.stdout.write(f"{total} checks: all ok.")
