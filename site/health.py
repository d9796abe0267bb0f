"""`/health/` for a load balancer: 200 when the database and the shared cache both answer, 503 naming what failed."""

import logging
import secrets

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("unexpected answer")


def _cache() -> None:
    # A fresh value each time, so an answer from anywhere but the cache itself cannot pass.
    value = secrets.token_hex(8)
    cache.set("health:probe", value, timeout=30)
    if cache.get("health:probe") != value:
        raise RuntimeError("the value written was not read back")


CHECKS = {"database": _database, "cache": _cache}


@never_cache
@require_safe
def health(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception:
            logger.exception("Health check %s failed", name)
            results[name] = "failing"
    healthy = all(result == "ok" for result in results.values())
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": results}, status=200 if healthy else 503)
