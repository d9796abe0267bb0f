"""Every URL pattern the resolver knows, with its full route, name and view, and which of them are the project's own."""

import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

REPOSITORY = Path(__file__).resolve().parents[2]
OUR_APP_LABELS = {"content", "courses", "assessments", "certificates", "accounts"}


@cache
def is_our_module(dotted: str) -> bool:
    """A module of this repository (content, courses, ..., or site/: accounts, health, legal, operations...), not an
    installed package's: the test then needs no list to keep up to date when a module is added."""
    top = dotted.split(".")[0]
    module = sys.modules.get(top)
    location = getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", [])), None)
    if location is None:
        return False
    path = Path(location).resolve()
    return path.is_relative_to(REPOSITORY) and ".venv" not in path.parts and "site-packages" not in path.parts


@dataclass(frozen=True)
class Route:
    route: str  # the full route, every prefix joined, as Django prints it
    name: str  # namespaced ("courses:enrol"), or "" for an unnamed pattern
    namespace: str  # the innermost namespace, or ""
    view: str  # the dotted path of the view function or class
    ours: bool
    params: tuple[str, ...] = ()  # the names of the route's keyword arguments, at every level

    def __str__(self):
        return f"{self.route!r} (name {self.name or '-'}, view {self.view})"


def _view_path(callback) -> str:
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is not None:
        return f"{view_class.__module__}.{view_class.__qualname__}"
    wrapped = callback
    # Decorators that keep __wrapped__ (functools.wraps) let us find the function that was decorated.
    while hasattr(wrapped, "__wrapped__"):
        wrapped = wrapped.__wrapped__
    name = getattr(wrapped, "__qualname__", None) or type(wrapped).__qualname__
    module = getattr(wrapped, "__module__", None) or type(wrapped).__module__
    return f"{module}.{name}"


def our_admin_namespaces() -> set[str]:
    """URL namespaces of the admin viewsets our apps register (hooks and the user viewset), Wagtail-made or not."""
    from wagtail.admin.viewsets import viewsets

    get_resolver().url_patterns  # the admin's urls populate the viewset registry  # noqa: B018
    namespaces = set()
    for viewset in viewsets.viewsets:
        model = getattr(viewset, "model", None)
        ours_by_class = is_our_module(type(viewset).__module__)
        ours_by_model = hasattr(model, "_meta") and model._meta.app_label in OUR_APP_LABELS
        if ours_by_class or ours_by_model:
            namespaces.add(viewset.url_namespace)
    return namespaces


def _params(pattern) -> tuple[str, ...]:
    regex = getattr(pattern, "regex", None)
    return tuple(getattr(pattern, "converters", {}) or (regex.groupindex if regex is not None else {}))


def walk(resolver=None, prefix="", namespaces=(), params=(), ours_namespaces=None) -> list[Route]:
    """Every URLPattern under the resolver (the root one by default), depth first, in the resolver's order."""
    resolver = resolver or get_resolver()
    if ours_namespaces is None:
        ours_namespaces = our_admin_namespaces()
    routes = []
    for entry in resolver.url_patterns:
        route, inner_params = prefix + str(entry.pattern), (*params, *_params(entry.pattern))
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            routes.extend(walk(entry, route, inner, inner_params, ours_namespaces))
        elif isinstance(entry, URLPattern):
            view = _view_path(entry.callback)
            namespace = namespaces[-1] if namespaces else ""
            name = ":".join([*namespaces, entry.name]) if entry.name else ""
            ours = is_our_module(view) or namespace in ours_namespaces
            routes.append(Route(route, name, namespace, view, ours, inner_params))
    return routes
