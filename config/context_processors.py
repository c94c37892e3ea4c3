"""What the shell (header and bottom navigation) needs on every page. It lives in
config because the navigation spans both apps."""

from django.urls import URLPattern, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grid.access import EMPTY_REACH, reach_of
from outreach.branches import urls as branch_urls

MAX_NAV_ITEMS = 5  # what a phone's bottom bar holds


BRANCH_URL_NAMES = frozenset(
    pattern.name for pattern in branch_urls.urlpatterns if isinstance(pattern, URLPattern) and pattern.name
)


def _branch_item(url: str, extra: frozenset[str] | set[str] = frozenset()) -> dict:
    return {
        "url_names": BRANCH_URL_NAMES | extra,
        "url": url,
        "label": pgettext_lazy("bottom navigation tab", "Branch"),
        "icon": "people",
    }


def navigation_for(user) -> list[dict]:
    """Few, large, always in the same order; only what the user's roles can open."""
    if not getattr(user, "is_authenticated", False):
        return []
    reach = reach_of(user)
    is_worker_only = reach.is_only_field_worker()
    if reach.home_is_branch():  # one joint branch and no area: its workspace is home
        items = [_branch_item(reverse("branch-home", args=[reach.branch_ids[0]]), extra={"home"})]
    else:
        items = [
            {
                "url_names": {"home"},
                "url": reverse("home"),
                "label": _("Today") if reach.is_field_worker() else _("Home"),
                "icon": "home",
            }
        ]
        if reach.branch_ids:  # a branch's people with areas as well: the branch has a tab of its own
            one = len(reach.branch_ids) == 1
            items.append(
                _branch_item(reverse("branch-home", args=[reach.branch_ids[0]]) if one else reverse("branch-list"))
            )
    if reach.has_areas():
        items.append(
            {
                "url_names": {
                    "resident-list",
                    "resident-detail",
                    "resident-create",
                    "resident-edit",
                    "visit-create",
                    "visit-detail",
                    "visit-correct",
                    "roster-import",
                    "roster-preview",
                },
                "url": reverse("resident-list"),
                "label": _("Residents"),
                "icon": "people",
            }
        )
    errand_staff = reach.may_use_board()
    if errand_staff:
        items.append(
            {
                "url_names": {"errand-board", "errand-detail"},
                "url": reverse("errand-board"),
                "label": _("Errands"),
                "icon": "errands",
            }
        )
    if reach.watches_coverage():
        # Streets and the city ask "who fell behind?" first: their map tab is the coverage
        # map, in the network's place (the directory stays a tile on their home page).
        items.append({"url_names": {"coverage-map"}, "url": reverse("coverage-map"), "label": _("Map"), "icon": "map"})
    else:
        items.append(
            {
                "url_names": {"network-list", "network-detail"},
                "url": reverse("network-list"),
                "label": _("Network"),
                "icon": "network",
            }
        )
    # Staff reach the map from the network page: five tabs is what a phone's bar holds.
    if not is_worker_only and not errand_staff:
        items.append({"url_names": {"network-map"}, "url": reverse("network-map"), "label": _("Map"), "icon": "map"})
    # The dashboard is for everyone but grid workers; it takes a tab only while the bar has
    # room for it and "Me" (five at most), otherwise it is a tile on the overview home.
    if not is_worker_only and len(items) < MAX_NAV_ITEMS - 1:
        items.append(
            {"url_names": {"dashboard"}, "url": reverse("dashboard"), "label": _("Dashboard"), "icon": "chart"}
        )
    items.append(
        {
            "url_names": {"account", "password_change", "password_change_done"},
            "url": reverse("account"),
            "label": _("Me"),
            "icon": "me",
        }
    )
    return items


def shell(request):
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    return {
        "nav_items": navigation_for(user),
        "nav_current": getattr(match, "url_name", "") or "",
        # What the user may open, for templates to ask (reach.may_see_complaints…); read
        # once per request and kept on the user, so no page pays a query for it.
        "reach": reach_of(user) if user is not None else EMPTY_REACH,
    }
