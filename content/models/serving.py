"""Serving our pages with fewer queries than Wagtail's defaults, with the same answers.

Routing reads a page's child from the database and then its specific row, level by level, and the privacy check reads
the page's ancestors and their view restrictions. The pages that routing loaded are already the ancestors, and the
restricted sections are in the shared cache (content.models.privacy), so both can mostly be answered from memory.
"""

from django.contrib.contenttypes.models import ContentType

from wagtail.models import PageViewRestriction

from .privacy import restricted_sections


def routed_ancestors(page) -> list | None:
    """The page's ancestors from depth 2 (a site's home page) down to its parent, or None when they are not all in hand.

    Wagtail's `Page.route` sets `_cached_parent_obj` on each child it descends into, and `.specific` copies it, so a
    page that was routed to carries the specific pages above it: reading them costs no query. A page loaded any other
    way (an admin view, a preview, a site rooted below depth 2) breaks the chain, and the caller asks the database.
    """
    ancestors = []
    node = page
    while node.depth > 2:
        parent = getattr(node, "_cached_parent_obj", None)
        # The checks cost nothing and refuse a parent left over from before a move.
        if parent is None or parent.depth != node.depth - 1 or not node.path.startswith(parent.path):
            return None
        ancestors.append(parent)
        node = parent
    ancestors.reverse()
    return ancestors


class ServingMixin:
    """For our page models: routing to a child and the serve-time privacy check, in fewer queries."""

    def route(self, request, path_components):
        """Wagtail's routing, finding the child in one query instead of two when only one page type may go here.

        The query asks for that type's own rows, so the child comes back specific. A child of any other type (made
        before the rule, say) or no child at all is left to Wagtail, which also answers the 404.
        """
        if path_components:
            child_models = self.allowed_subpage_models()
            if len(child_models) == 1:
                model = child_models[0]
                content_type = ContentType.objects.get_for_model(model)
                try:
                    child = model.objects.child_of(self).get(slug=path_components[0], content_type=content_type)
                except model.DoesNotExist:
                    pass
                else:
                    child._cached_parent_obj = self  # as Wagtail does: breadcrumbs and get_parent() read it
                    return child.route(request, path_components[1:])
        return super().route(request, path_components)

    def get_view_restrictions(self):
        """The view restrictions on this page and its ancestors, as Wagtail answers, with no query when none applies.

        Wagtail's check (the `check_view_restrictions` serve hook) resolves aliases to their source pages. When the
        page and the ancestors routing loaded are no aliases (the tree's root above them never is one), a restriction
        applies exactly when its page's path begins this page's path; when none does, the answer is empty. Every
        other case gets Wagtail's own queryset.
        """
        ancestors = routed_ancestors(self)
        if (
            ancestors is None
            or self.alias_of_id
            or any(ancestor.alias_of_id for ancestor in ancestors)
            or any(self.path.startswith(path) for path, _depth in restricted_sections())
        ):
            return super().get_view_restrictions()
        return PageViewRestriction.objects.none()
