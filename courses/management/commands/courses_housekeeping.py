from django.core.management.base import BaseCommand

from courses import services


class Command(BaseCommand):
    help = (
        "Release expired payment holds and waiting-list offers (passing the seats on), and tell learners who "
        "registered interest that a cohort has opened. Run every minute from cron or the worker."
    )

    def handle(self, *args, **options):
        expired = services.enrolments_expire()
        notified = services.interests_notify_opened()
        self.stdout.write(
            f"Expired payment holds: {expired['holds']}. Expired offers: {expired['offers']}. "
            f"Learners told a cohort has opened: {notified}."
        )
