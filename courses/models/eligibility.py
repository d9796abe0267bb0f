from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, HelpPanel
from wagtail.contrib.settings.models import BaseGenericSetting

DEFAULT_ALLOWED = "nhs.net\n*.nhs.uk"
# nhs.uk domains of the devolved nations' health services, which are not NHS England.
DEFAULT_EXCLUDED = "wales.nhs.uk\n*.wales.nhs.uk\nscot.nhs.uk\n*.scot.nhs.uk\nni.nhs.uk\n*.ni.nhs.uk"


def parse_domains(text: str) -> list[str]:
    return [line.strip().lower() for line in (text or "").splitlines() if line.strip() and not line.startswith("#")]


def domain_matches(domain: str, pattern: str) -> bool:
    """'nhs.net' matches only nhs.net; '*.nhs.uk' matches any subdomain of nhs.uk, not nhs.uk itself."""
    if pattern.startswith("*."):
        return domain.endswith(pattern[1:])
    return domain == pattern


class EligibilitySettings(BaseGenericSetting):
    """Which email domains count as NHS England for the free fee band; administrators edit it."""

    allowed_domains = models.TextField(
        _("NHS England email domains"),
        default=DEFAULT_ALLOWED,
        help_text=_("One per line. '*.nhs.uk' means any address at a subdomain of nhs.uk."),
    )
    excluded_domains = models.TextField(
        _("excluded domains"),
        default=DEFAULT_EXCLUDED,
        blank=True,
        help_text=_("One per line; these never count, even when they match a line above (for example Welsh NHS)."),
    )

    panels = [
        HelpPanel(
            content=_(
                "Learners are in the free band when their verified email is on one of these domains and they say "
                "they work for an NHS organisation in England."
            )
        ),
        FieldPanel("allowed_domains"),
        FieldPanel("excluded_domains"),
    ]

    class Meta:
        verbose_name = _("NHS eligibility")

    def is_excluded_domain(self, domain: str) -> bool:
        domain = domain.lower().strip()
        return any(domain_matches(domain, pattern) for pattern in parse_domains(self.excluded_domains))

    def is_nhs_england_domain(self, domain: str) -> bool:
        if self.is_excluded_domain(domain):
            return False
        domain = domain.lower().strip()
        return any(domain_matches(domain, pattern) for pattern in parse_domains(self.allowed_domains))
