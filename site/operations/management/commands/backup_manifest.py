"""`manage.py backup_manifest --output FILE`: what the backup taken next must hold, for `check_restore --manifest` to
compare a restore against. Run it just before pg_dump and the media copy (docs/backups.md)."""

import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from operations import inventory


class Command(BaseCommand):
    help = (
        "Write a JSON manifest of the database and media as they are now: applied migrations, row counts of the "
        "tables that matter, and the name and size (and with --checksums the SHA-256) of every file a model refers to."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", metavar="FILE", help="Write the manifest to FILE instead of standard output.")
        parser.add_argument(
            "--checksums", action="store_true", help="Record each file's SHA-256 too (reads every file)."
        )

    def handle(self, *args, **options):
        output, checksums = options["output"], options["checksums"]
        if output is None:
            summary = self.write_manifest(lambda text: self.stdout.write(text, ending=""), checksums=checksums)
            self.report(summary, where="standard output", to=self.stderr)
            return
        target = Path(output)
        if target.is_dir():
            raise CommandError(
                f"{target} is a folder: give the manifest's file name, such as {target / 'manifest.json'}."
            )
        if not target.parent.is_dir():
            raise CommandError(f"There is no folder {target.parent} to write the manifest in.")
        # Written beside the target and renamed into place, so that an interrupted run never leaves half a manifest
        # where a whole one is expected.
        partial = target.with_name(f".{target.name}.partial")
        try:
            with partial.open("w", encoding="utf-8") as handle:
                summary = self.write_manifest(handle.write, checksums=checksums)
            os.replace(partial, target)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise CommandError(f"Could not write the manifest to {target}: {error.strerror or error}.") from error
        self.report(summary, where=str(target), to=self.stdout)

    def write_manifest(self, write, *, checksums: bool) -> dict:
        """One file entry a line, written as it is read: memory stays flat however many files there are."""
        header = {
            "format": inventory.MANIFEST_FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": {"vendor": connection.vendor, "name": str(connection.settings_dict["NAME"])},
            "checksums": checksums,
            "migrations": [list(key) for key in inventory.recorded_migrations()],
            "row_counts": inventory.row_counts(),
        }
        write("{\n")
        for key, value in header.items():
            write(f"  {json.dumps(key)}: {json.dumps(value)},\n")
        write('  "files": [')
        summary = {"migrations": len(header["migrations"]), "tables": len(header["row_counts"])}
        summary |= {"files": 0, "bytes": 0, "missing": 0}
        for model, field in inventory.file_fields():
            storage = field.storage
            label = inventory.storage_label(storage)
            for pk, name in inventory.referenced_files(model, field):
                size = inventory.file_size(storage, name)
                entry = {
                    "model": model._meta.label,
                    "field": field.name,
                    "pk": pk,
                    "storage": label,
                    "name": name,
                    "size": size,
                }
                if size is None:
                    # Already gone: recorded so that the restore is not blamed for it.
                    entry["missing"] = True
                    summary["missing"] += 1
                    self.stderr.write(f"Missing already: {inventory.field_label(model, field)} #{pk}: {name}")
                else:
                    summary["bytes"] += size
                    if checksums:
                        entry["sha256"] = inventory.file_sha256(storage, name)
                write(("\n" if summary["files"] == 0 else ",\n") + "    " + json.dumps(entry, default=str))
                summary["files"] += 1
        write("\n  ],\n" if summary["files"] else "],\n")
        write(f'  "summary": {json.dumps(summary)}\n}}\n')
        return summary

    def report(self, summary, *, where, to):
        missing = f", {summary['missing']} of them missing already" if summary["missing"] else ""
        to.write(
            f"Manifest written to {where}: {summary['migrations']} migrations, {summary['tables']} tables, "
            f"{summary['files']} files ({summary['bytes']} bytes){missing}."
        )
