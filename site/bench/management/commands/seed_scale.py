import time

from django.core.management.base import BaseCommand
from django.db import connection

from bench import scale

KINDS = [
    # (option, default, what it counts, seeding function, how many exist now)
    ("learners", 100_000, "learners", scale.learners_seed, lambda: scale.scale_learners().count()),
    ("cohorts", 500, "cohorts", scale.cohorts_seed, lambda: scale.scale_cohorts().count()),
    ("enrolments", 50_000, "enrolments", scale.enrolments_seed, lambda: scale.scale_enrolments().count()),
    ("answers", 200_000, "exercise answers", scale.answers_seed, scale.scale_answer_count),
    ("certificates", 20_000, "certificates", scale.certificates_seed, scale.scale_certificate_count),
    ("pages", 2_000, "content pages", scale.pages_seed, lambda: scale.scale_pages().count()),
]


class Command(BaseCommand):
    help = (
        "Add scale data for benchmarks (learners, cohorts, enrolments, exercise answers, certificates, content pages) "
        "on top of the demo content. Running it again tops up to the numbers asked for."
    )

    def add_arguments(self, parser):
        for option, default, what, _fn, _count in KINDS:
            parser.add_argument(f"--{option}", type=int, default=default, help=f"How many {what} (default {default}).")
        parser.add_argument("--quiet", action="store_true", help="Print nothing but errors.")

    def handle(self, *args, **options):
        started = time.monotonic()
        for option, _default, what, seed, count in KINDS:
            began = time.monotonic()
            created = seed(target=max(options[option], 0))
            if not options["quiet"]:
                self.stdout.write(
                    f"{what:<17} {created:>7} added, {count():>7} in all ({time.monotonic() - began:.1f}s)"
                )
        # Fresh statistics for the query planner after bulk inserts: SQLite has none until ANALYZE runs (it then picks
        # the exercise index over the learner's for a cohort's attempts), and PostgreSQL's autovacuum may lag behind.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        if not options["quiet"]:
            self.stdout.write(self.style.SUCCESS(f"Scale data ready in {time.monotonic() - started:.1f}s."))
