from django.core.management.base import BaseCommand

from content.demo.builder import build_demo
from content.demo.text import ACCOUNTS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Build the demo site: pages, reports, articles and one account per role. Safe to run more than once."

    def handle(self, *args, **options):
        home = build_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo content ready under '{home.title}'."))
        self.stdout.write(f"Demo accounts (password {DEMO_PASSWORD}):")
        for account in ACCOUNTS:
            self.stdout.write(f"  {account['role']:<17} {account['email']}")
