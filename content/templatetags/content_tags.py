from django import template

from content.models.serving import routed_ancestors

register = template.Library()


@register.simple_tag
def breadcrumb_ancestors(page):
    """The page's ancestors from the site's home page down, as a list (templates cannot index a queryset from the end).

    A page that was routed to already holds them, so serving costs no query; any other page reads them from the tree.
    """
    ancestors = routed_ancestors(page)
    if ancestors is None:
        ancestors = list(page.get_ancestors().filter(depth__gt=1).specific(defer=True))
    return ancestors
