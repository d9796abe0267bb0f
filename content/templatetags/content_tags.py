from django import template

register = template.Library()


@register.simple_tag
def breadcrumb_ancestors(page):
    """The page's ancestors from the site's home page down, as a list (templates cannot index a queryset from the end)."""
    return list(page.get_ancestors().filter(depth__gt=1).specific(defer=True))
