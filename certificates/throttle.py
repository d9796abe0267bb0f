"""Slows down anyone guessing certificate codes: after too many unknown codes from one client in a window, every
verification from that client answers 429 until the window ends. Counts live in the shared cache, so the limit holds
across web processes."""

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 15 * 60


def _key(request) -> str:
    return f"certificates:verify-misses:{request.META.get('REMOTE_ADDR', '')}"


def limit() -> int:
    return getattr(settings, "CERTIFICATES_VERIFY_MISS_LIMIT", 10)


def is_throttled(request) -> bool:
    return (cache.get(_key(request)) or 0) >= limit()


def record_miss(request) -> None:
    key = _key(request)
    if not cache.add(key, 1, WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, WINDOW_SECONDS)
