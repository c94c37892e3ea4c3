"""What the shell (header and navigation) needs on every page."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def navigation_for(user) -> list[dict]:
    """The bottom navigation: few, large, always the same order."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [
        {"url_names": {"home"}, "url": reverse("home"), "label": _("Home"), "icon": "home"},
        {"url_names": {"network-list", "network-detail"}, "url": reverse("network-list"), "label": _("Network"), "icon": "network"},
        {"url_names": {"network-map"}, "url": reverse("network-map"), "label": _("Map"), "icon": "map"},
        {"url_names": {"account", "password_change", "password_change_done"}, "url": reverse("account"), "label": _("Me"), "icon": "me"},
    ]


def shell(request):
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    return {
        "nav_items": navigation_for(user),
        "nav_current": getattr(match, "url_name", "") or "",
    }
