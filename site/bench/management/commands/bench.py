"""`make bench`: measure the site under gunicorn with production settings and print one line per figure,
`bench <name>: <value> <unit>`.

Machines are noisy, so page rates are given as a share of the static file's rate measured on the same server in the
same run, just before the page: a shared machine's speed drifts over minutes, and a ratio against a static rate
measured at the start of the run moved with it.

Steps: make sure the scale data is there (seed_demo + seed_scale, kept between runs), count queries per page
in-process, serve with gunicorn (page cache on, then off; then the cohort dashboard with nothing kept between
requests) and drive each page from a separate load-generator process (site/bench/load.py), read each worker's peak
memory, time certificate PDFs (one in-process, 200 through the task worker), and on PostgreSQL race 200 enrolment
requests for 20 seats. Everything started is stopped at the end.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

ROOT = Path(settings.BASE_DIR)
LOAD = ROOT / "site" / "bench" / "load.py"
PYTHON = sys.executable
NHS_LEARNER = "nhs.learner@nhs.net"
COURSE_LEAD = "course.lead@example.org"
BIG_COHORT = "BENCH-200"
CONTENTION_COHORT = "BENCH-RACE"
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Bench(BaseCommand):
    help = "Measure pages, queries, memory, certificates and contention; print one line per figure."

    # --- output ---------------------------------------------------------------------------------------------------------

    def figure(self, name, value, unit):
        text = f"{value:.1f}" if isinstance(value, float) else str(value)
        self.stdout.write(f"bench {name}: {text} {unit}")
        self.stdout.flush()

    # --- data -----------------------------------------------------------------------------------------------------------

    def ensure_data(self):
        User = get_user_model()
        if not User.objects.filter(email=NHS_LEARNER).exists():
            call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
        started = time.perf_counter()
        call_command("seed_scale", quiet=True)
        self.figure("seed_scale (top-up)", time.perf_counter() - started, "s")

    def big_cohort(self):
        """A running cohort of the flagship course with 200 confirmed learners, led by the demo course lead."""
        from courses.models import Cohort, CohortSession, Enrolment, EnrolmentStatus, FeeBand

        User = get_user_model()
        lead = User.objects.get(email=COURSE_LEAD)
        cohort = Cohort.objects.filter(code=BIG_COHORT).first()
        if cohort is None:
            model = Cohort.objects.filter(code="SYS-03").select_related("course").first()
            today, now = timezone.localdate(), timezone.now()
            cohort = Cohort.objects.create(
                course=model.course,
                code=BIG_COHORT,
                starts_on=today - timezone.timedelta(days=8),
                ends_on=today + timezone.timedelta(days=30),
                enrolment_opens_at=now - timezone.timedelta(days=60),
                enrolment_closes_at=now - timezone.timedelta(days=10),
                capacity=200,
            )
            for week in range(6):
                CohortSession.objects.create(
                    cohort=cohort,
                    title=f"Session {week + 1}",
                    date=cohort.starts_on + timezone.timedelta(weeks=week),
                    start_time="09:30",
                    end_time="12:30",
                    sort_order=week,
                )
            learners = User.objects.filter(email__startswith="scale-learner-").order_by("pk")[:200]
            Enrolment.objects.bulk_create(
                Enrolment(
                    user=learner,
                    cohort=cohort,
                    status=EnrolmentStatus.CONFIRMED,
                    fee_band=FeeBand.FREE,
                    confirmed_at=now,
                    declared_nhs_england_employer=True,
                )
                for learner in learners
            )
        cohort.leads.add(lead)
        cohort.save()
        return cohort

    def staff_ready(self, email):
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal import auth as totp_auth

        user = get_user_model().objects.get(email=email)
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            totp_auth.TOTP.activate(user, totp_auth.generate_totp_secret())
        return user

    def session_cookie(self, user) -> str:
        """A signed-in session, as the sign-in form leaves it (the bench needs no password or authenticator code)."""
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.save()
        return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"

    def pages(self):
        from assessments.models import Attempt
        from content.models import ArticleIndexPage, ArticlePage, ReportIndexPage, ReportSummaryPage
        from courses.models import CoursePage

        flagship = CoursePage.objects.live().order_by("path").first()
        attempt = Attempt.objects.filter(user__email=NHS_LEARNER).select_related("exercise").first()
        big = self.big_cohort()
        anonymous = {
            "home": "/",
            "catalogue": "/courses/",
            "course": flagship.url,
            "reports": ReportIndexPage.objects.live().first().url,
            "report": ReportSummaryPage.objects.live().order_by("-pk").first().url,
            "articles": ArticleIndexPage.objects.live().first().url,
            "article": ArticlePage.objects.live().order_by("-pk").first().url,
            "search": "/search/?q=anticoagulation",
        }
        learner = {
            "my_learning": "/my-learning/",
            "my_cpd_record": "/my-cpd/",
            "exercise_stage": attempt.exercise.url + attempt.exercise.reverse_subpage("attempt", args=[attempt.pk]),
        }
        lead = {
            "cohort_dashboard_200": f"/admin/courses/dashboards/{big.pk}/",
            "marking_queue": "/admin/assessments/marking/",
        }
        return anonymous, learner, lead

    # --- queries --------------------------------------------------------------------------------------------------------

    def count_queries(self, urls, user=None, label="", **overrides):
        client = Client()
        if user is not None:
            client.force_login(user)
        with override_settings(PAGE_CACHE_SECONDS=0, **overrides):
            for name, url in urls.items():
                client.get(url)  # warm whatever is cached per process (site settings, menus)
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(url)
                if response.status_code != 200:
                    self.figure(f"{name} status", response.status_code, "(expected 200)")
                self.figure(f"{name} queries{label}", len(captured), "queries/request")

    # --- the server -----------------------------------------------------------------------------------------------------

    def start_server(self, port, cache_seconds, **env_overrides):
        env = {**os.environ, "DJANGO_PAGE_CACHE_SECONDS": str(cache_seconds), **env_overrides}
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                PYTHON,
                "-m",
                "gunicorn",
                "--pythonpath",
                "site",
                "wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
                return process
            except OSError:
                time.sleep(0.3)
        process.kill()
        raise RuntimeError("gunicorn did not start")

    def stop_server(self, process):
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)

    def worker_memory_mb(self, process) -> float:
        """The highest peak resident memory (VmHWM) among the gunicorn workers."""
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        peaks = []
        for pid in children:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks) if peaks else 0.0

    def load(self, port, path, cookie=""):
        output = subprocess.run(  # noqa: S603 - fixed arguments
            [PYTHON, str(LOAD), "--port", str(port), "--path", path, "--seconds", str(SECONDS), "--cookie", cookie],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return json.loads(output.strip().splitlines()[-1])

    def warm(self, port, path, cookie):
        """One request first, so the cached run measures hits and every run measures a warmed process."""
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie} if cookie else {})
        urllib.request.urlopen(request, timeout=30).read()  # noqa: S310 - a fixed http://127.0.0.1 address

    def static_path(self, port) -> str:
        html = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read().decode()
        start = html.index("/static/css/site")
        return html[start : html.index('"', start)]

    def drive(self, port, label, urls, cookie, static_path):
        served = 0
        for name, url in urls.items():
            static = self.load(port, static_path)  # the yardstick, measured beside the page
            self.warm(port, url, cookie)
            result = self.load(port, url, cookie)
            served += static["requests"] + result["requests"] + 1
            self.figure(f"{name} {label} share of static rate", 100 * result["rps"] / static["rps"], "%")
            self.figure(f"{name} {label} p50", result["p50_ms"], "ms")
            self.figure(f"{name} {label} p99", result["p99_ms"], "ms")
            if result["errors"]:
                self.figure(f"{name} {label} errors", result["errors"], "responses other than 200")
        return served

    def serve_and_measure(self, anonymous, learner_cookie, learner, lead_cookie, lead):
        for cache_seconds, label in [(300, "cached"), (0, "uncached")]:
            requests = 0
            port = free_port()
            server = self.start_server(port, cache_seconds)
            try:
                static_path = self.static_path(port)
                static = self.load(port, static_path)
                requests += static["requests"]
                self.figure(f"static file ({label} run)", static["rps"], "req/s")
                requests += self.drive(port, label, anonymous, "", static_path)
                if cache_seconds == 0:
                    requests += self.drive(port, "signed in", learner, learner_cookie, static_path)
                    requests += self.drive(port, "signed in", lead, lead_cookie, static_path)
                self.figure(f"peak memory per web process ({label} run)", self.worker_memory_mb(server), "MB")
                self.figure(f"requests served ({label} run)", requests, "requests")
            finally:
                self.stop_server(server)

    def dashboard_built_afresh(self, lead_cookie, dashboard):
        """The cohort dashboard with nothing kept between requests (courses.dashboard_cache off): what a course lead
        waits for on the first look after a change."""
        port = free_port()
        server = self.start_server(port, 0, DJANGO_DASHBOARD_CACHE_SECONDS="0")
        try:
            self.drive(port, "built afresh", dashboard, lead_cookie, self.static_path(port))
        finally:
            self.stop_server(server)

    # --- certificates ---------------------------------------------------------------------------------------------------

    def certificates(self):
        from certificates import services
        from certificates.models import Certificate
        from courses.models import Cohort, Enrolment, EnrolmentStatus

        one = Certificate.objects.filter(revoked_at__isnull=True).order_by("pk").first()
        services.certificate_pdf_bytes(certificate=one)  # the first in a process also loads WeasyPrint and the fonts
        started = time.perf_counter()
        services.certificate_pdf_bytes(certificate=one)
        self.figure("certificate PDF, one (warm process)", (time.perf_counter() - started) * 1000, "ms")

        cohort = Cohort.objects.get(code=BIG_COHORT)
        Certificate.objects.filter(enrolment__cohort=cohort).delete()  # the bench's own cohort: issue afresh each run
        Enrolment.objects.filter(cohort=cohort).update(
            status=EnrolmentStatus.COMPLETED, completion_override_reason="bench"
        )
        lead = get_user_model().objects.get(email=COURSE_LEAD)
        started = time.perf_counter()
        issued, _not_met = services.certificates_issue_for_cohort(cohort=cohort, by_user=lead)
        self.figure(f"bulk issue of {len(issued)} certificates", time.perf_counter() - started, "s")
        started = time.perf_counter()
        subprocess.run([PYTHON, "manage.py", "db_worker", "--batch"], cwd=ROOT, check=True, capture_output=True)  # noqa: S603
        drawn = Certificate.objects.filter(enrolment__cohort=cohort).exclude(pdf="").count()
        self.figure(f"task worker drawing {drawn} PDFs", time.perf_counter() - started, "s")
        Enrolment.objects.filter(cohort=cohort).update(status=EnrolmentStatus.CONFIRMED, completion_override_reason="")

    # --- contention -----------------------------------------------------------------------------------------------------

    def contention(self):
        if connection.vendor != "postgresql":
            self.figure(
                "enrolment contention", "skipped", "(SQLite serialises writers; set DATABASE_URL to PostgreSQL)"
            )
            return
        from allauth.account.models import EmailAddress

        from courses import services
        from courses.exceptions import EnrolmentError
        from courses.models import SEAT_STATUSES, Cohort, CoursePage, Enrolment

        User = get_user_model()
        Enrolment.objects.filter(cohort__code=CONTENTION_COHORT).delete()  # the bench's own cohort: race afresh
        now = timezone.now()
        cohort, _ = Cohort.objects.update_or_create(
            code=CONTENTION_COHORT,
            defaults={
                "course": CoursePage.objects.live().order_by("path").first(),
                "starts_on": timezone.localdate() + timezone.timedelta(days=30),
                "ends_on": timezone.localdate() + timezone.timedelta(days=60),
                "enrolment_opens_at": now - timezone.timedelta(days=1),
                "enrolment_closes_at": now + timezone.timedelta(days=20),
                "capacity": 20,
            },
        )
        users = []
        for n in range(200):
            user, created = User.objects.get_or_create(
                email=f"bench-race-{n}@nhs.net", defaults={"full_name": f"Race Learner {n}"}
            )
            if created:
                EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
            users.append(user)
        threads_count = 80  # PostgreSQL's default max_connections is 100: 80 connections carry the 200 requests
        barrier = threading.Barrier(threads_count + 1)
        queue = list(users)
        lock = threading.Lock()
        failures = []

        def worker():
            close_old_connections()
            connection.ensure_connection()
            barrier.wait(timeout=120)
            while True:
                with lock:
                    if not queue:
                        break
                    user = queue.pop()
                try:
                    services.enrolment_request(cohort=cohort, user=user, declared_nhs_england_employer=True)
                except EnrolmentError:
                    pass
                except Exception as error:  # noqa: BLE001 - counted and reported
                    failures.append(error)
            connection.close()

        pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads_count)]
        for thread in pool:
            thread.start()
        barrier.wait(timeout=120)
        started = time.perf_counter()
        for thread in pool:
            thread.join(timeout=300)
        self.figure("enrolment contention, 200 requests for 20 seats: settled in", time.perf_counter() - started, "s")
        seats = Enrolment.objects.filter(cohort=cohort, status__in=SEAT_STATUSES).count()
        self.figure("enrolment contention overbookings", max(0, seats - cohort.capacity), "overbookings")
        self.figure("enrolment contention errors", len(failures), "errors")

    # --- all ------------------------------------------------------------------------------------------------------------

    def handle(self, *args, **options):
        started = time.perf_counter()
        self.figure("database", connection.vendor, "")
        self.ensure_data()
        cache.clear()  # the data was topped up with bulk inserts, which retire nothing kept: start every run afresh
        anonymous, learner, lead = self.pages()
        learner_user = get_user_model().objects.get(email=NHS_LEARNER)
        lead_user = self.staff_ready(COURSE_LEAD)
        self.count_queries(anonymous)
        self.count_queries(learner, learner_user)
        self.count_queries(lead, lead_user)
        dashboard = {name: lead[name] for name in ["cohort_dashboard_200"]}
        self.count_queries(dashboard, lead_user, " (built afresh)", DASHBOARD_CACHE_SECONDS=0)
        lead_cookie = self.session_cookie(lead_user)
        self.serve_and_measure(anonymous, self.session_cookie(learner_user), learner, lead_cookie, lead)
        self.dashboard_built_afresh(lead_cookie, dashboard)
        self.certificates()
        self.contention()
        self.figure("bench run time", time.perf_counter() - started, "s")


Command = Bench
