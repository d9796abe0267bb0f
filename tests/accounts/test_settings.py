"""Production settings, checked in fresh interpreters so the test settings already loaded here play no part."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_env(tmp_path):
    """The environment without any DJANGO_* variable (pytest-django sets one), nor a database or cache address."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("DJANGO_") and name not in {"DATABASE_URL", "REDIS_URL"}
    }
    env["PYTHONPATH"] = str(ROOT / "site")
    env["DJANGO_VAR_DIR"] = str(tmp_path)
    return env


@pytest.fixture
def production_env(clean_env):
    return {
        **clean_env,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "learning.example.org",
        "DJANGO_SETTINGS_MODULE": "settings.production",
    }


def run(args, env):
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def import_production(env):
    return run(["-c", "import settings.production"], env)


def test_production_refuses_to_start_without_a_secret_key(clean_env):
    result = import_production({**clean_env, "DJANGO_ALLOWED_HOSTS": "learning.example.org"})

    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY must be set in production." in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(clean_env):
    result = import_production({**clean_env, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)})

    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_ALLOWED_HOSTS must be set in production" in result.stderr


def test_production_refuses_blank_allowed_hosts(clean_env):
    result = import_production(
        {**clean_env, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_ALLOWED_HOSTS": " , "}
    )

    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must be set in production" in result.stderr


def test_production_imports_with_secret_key_and_hosts(production_env):
    result = import_production(production_env)

    assert result.returncode == 0, result.stderr


def test_deploy_check_is_clean(production_env):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def production_setting(env, name):
    result = run(["-c", f"from django.conf import settings; print(settings.{name})"], env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_sessions_are_read_from_the_cache_only_when_every_process_shares_it(production_env, tmp_path):
    # One process's own memory would keep a session another process ended: the database alone then.
    assert production_setting(production_env, "SESSION_ENGINE") == "django.contrib.sessions.backends.db"
    assert production_setting(production_env, "ADMIN_CHROME_SECONDS") == "5"

    shared = {**production_env, "DJANGO_CACHE_DIR": str(tmp_path / "cache")}
    assert production_setting(shared, "SESSION_ENGINE") == "django.contrib.sessions.backends.cached_db"
    assert production_setting(shared, "ADMIN_CHROME_SECONDS") == "300"
