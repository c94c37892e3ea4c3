"""Offline-first for grid workers: the installable app (manifest, service worker), the
offline page the worker falls back to without signal, the minimum of Today kept on the
phone, a fresh CSRF token for the outbox, and a logout that wipes what the person logging
out may not leave behind (never another person's unsent items).

What may be cached and where: the service worker caches static files and the offline
page only — neither holds personal data. The worker's Today list (names, masked IDs,
addresses, home locations, due dates) reaches the phone once, through
``offline_today``, which the page keeps in IndexedDB for at most DAIBAN_OFFLINE_DAYS
and deletes at logout. Every other response says ``no-store`` (config.cache_control).
"""

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from grid.access import reach_of
from outreach.common.due import DUE_LABELS
from outreach.errands import selectors as errand_selectors
from outreach.errands.buttons import errand_buttons
from outreach.errands.forms import VisitErrandForm
from outreach.models import Errand, ErrandEvent
from outreach.residents import selectors
from outreach.residents.forms import VisitForm
from outreach.residents.route.selectors import route_start

APP_NAME = "红色代办"  # the name under the icon on the home screen, in every UI language
THEME_COLOUR = "#b71c1c"  # the top bar's red (app.css --red)
BACKGROUND_COLOUR = "#f6f4f1"  # app.css --bg: the splash screen matches the first paint
SERVICE_WORKER_SOURCE = "daiban/sw.js"
ICON_SIZES = (192, 512)
NO_STORE = "no-store, private"


# --- the service worker ----------------------------------------------------------------------


def _own_static_files() -> list[tuple[str, Path]]:
    """The app's own static files (static/ in the repository), by their static name. They
    are small (a few hundred kB with htmx) and every screen needs some of them offline."""
    files = []
    for root in map(Path, settings.STATICFILES_DIRS):
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = path.relative_to(root).as_posix()
            if name != SERVICE_WORKER_SOURCE and not path.name.startswith("."):
                files.append((name, path))
    return files


@lru_cache(maxsize=8)
def _digest_of(fingerprint: tuple) -> str:
    digest = hashlib.sha256()
    for _name, path_text, _mtime, _size in fingerprint:
        digest.update(path_text.encode())
        digest.update(Path(path_text).read_bytes())
    return digest.hexdigest()[:16]


def offline_version() -> str:
    """A version that changes whenever the worker script or any of the app's static files
    changes, so that phones install the new worker and drop the old cache. The files are
    hashed by content (the same on every server of a deployment); the hash is recomputed
    only when a file's size or modification time changes."""
    source = Path(finders.find(SERVICE_WORKER_SOURCE))  # type: ignore[arg-type]  # a static file of this app
    fingerprint = tuple(
        (name, str(path), path.stat().st_mtime_ns, path.stat().st_size)
        for name, path in [(SERVICE_WORKER_SOURCE, source), *_own_static_files()]
    )
    return _digest_of(fingerprint)


def _precache_urls() -> list[str]:
    # LICENSE files and the larger install icon are not needed to work offline.
    return [
        static(name)
        for name, path in _own_static_files()
        if not name.endswith("LICENSE") and not name.endswith("-512.png")
    ]


@require_GET
def service_worker(request):
    """The worker script, served from the site's root so that its scope is the whole site
    (a worker controls only the paths under its own), with its version and the list of
    files to keep filled in."""
    source = Path(finders.find(SERVICE_WORKER_SOURCE)).read_text(encoding="utf-8")
    script = (
        source.replace("__DAIBAN_VERSION__", offline_version())
        .replace("__DAIBAN_OFFLINE_URL__", reverse("offline-page"))
        .replace(
            "__DAIBAN_STATIC_URL__",
            settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL,
        )
        .replace('"__DAIBAN_PRECACHE__"', json.dumps(_precache_urls()))
    )
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"  # a new version reaches phones on their next visit
    return response


# --- the installable app ----------------------------------------------------------------------


@require_GET
def manifest(request):
    """The web app manifest: what the home-screen icon is called, looks like and opens."""
    icons = []
    for size in ICON_SIZES:
        src = static(f"daiban/icons/icon-{size}.png")
        # The red square with its mark well inside the safe zone serves both purposes.
        icons.append({"src": src, "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"})
        icons.append({"src": src, "sizes": f"{size}x{size}", "type": "image/png", "purpose": "maskable"})
    data = {
        "id": reverse("home"),
        "name": APP_NAME,
        "short_name": APP_NAME,
        "description": _("Visits and errands of the red proxy service, also without signal."),
        "lang": "zh-CN",
        "start_url": reverse("home"),  # Today, for a grid worker
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": icons,
    }
    response = HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response


# --- the offline page ---------------------------------------------------------------------------


def _shell_strings() -> dict:
    """Words the offline page's script puts together (the page itself holds no data)."""

    def counted(singular: str, plural: str) -> dict:
        return {"one": ngettext(singular, plural, 1), "other": ngettext(singular, plural, 2)}

    return {
        "due": {str(bucket): str(label) for bucket, label in DUE_LABELS.items()},
        "overdue": counted("%(days)s day overdue", "%(days)s days overdue"),
        "dueIn": counted("due in %(days)s day", "due in %(days)s days"),
        "dueToday": _("due today"),
        "errandDue": _("due %(date)s"),
        "todayTitle": _("Today's visits"),
        "route": {
            "button": _("Today's route"),
            "title": _("Today's route"),
            "fromPoint": _("From your grid point"),
            "summary": _("%(stops)s stops · %(km)s km · about %(minutes)s minutes on foot"),
            "legFirst": _("%(m)s m from the start"),
            "leg": _("%(m)s m from the last stop"),
            "noHome": _("Without a home location"),
        },
        "visit": _("Visit"),
        "visitSaved": _("visit saved on this phone"),
        "stepWaiting": _("step waiting to be sent"),
        "visitAria": _("Start a visit to %(name)s"),
        "visitTitle": _("Visit %(name)s"),
        "nobody": _("Nobody in this group."),
        "allVisited": _("Everyone in your grid has been visited on time. Well done."),
        "myErrands": _("My errands"),
        "savedAt": _("You are offline. This list was saved on this phone at %(time)s."),
        # Written out, not through counted(): makemessages finds ngettext's words only.
        "savedAgo": {
            form: ngettext(
                "You are offline. This list was saved on this phone %(days)s day ago (%(time)s).",
                "You are offline. This list was saved on this phone %(days)s days ago (%(time)s).",
                n,
            )
            for form, n in (("one", 1), ("other", 2))
        },
        "noData": _("No list is saved on this phone yet. Open Today once while you have signal."),
        "notInList": _("This resident is not in the list saved on this phone. Go back to Today."),
        "errandNotInList": _("This errand is not in the list saved on this phone. Go back to Today."),
        "backToday": _("Back to Today"),
        "pendingStep": _("Waiting to be sent: %(action)s. Further steps once it has arrived."),
        "stepQueued": _("Saved on this phone: %(action)s. It will be sent when there is signal."),
        "noSteps": _("No step you can take offline. Delivery needs signal (photos and satisfaction)."),
        "errandFacts": {"number": _("Errand number"), "resident": _("Resident"), "due": _("Due"), "state": _("State")},
        "nextStep": _("Next step"),
        "fieldMissing": _("Fill this in first."),
    }


@require_GET
def offline_page(request):
    """The page the service worker shows when a page cannot be loaded. It is cached on
    the phone, so it carries nobody's data — not even who is logged in: its script fills
    it from IndexedDB (Today, a visit form, an errand's next steps)."""
    context = {
        # Rendered for nobody: no name in the top bar, no navigation, no CSRF token, and
        # none of the session's messages (they belong to the page the worker opens next).
        "user": AnonymousUser(),
        "nav_items": [],
        "csrf_token": "",
        "messages": [],
        "form": VisitForm(initial={"id": ""}),  # the script gives each visit its own id
        "errand_form": VisitErrandForm(services=errand_selectors.service_types_offered()),
        "strings": _shell_strings(),
        "offline_shell": True,
    }
    response = render(request, "outreach/offline/offline.html", context)
    response["Cache-Control"] = "no-cache"
    return response


# --- the data kept on the phone -----------------------------------------------------------------


def _resident_row(resident) -> dict:
    return {
        "id": resident.pk,
        "name": resident.name,
        "national_id_masked": resident.national_id_masked,
        "address": resident.address,
        "home": [resident.home_lat, resident.home_lng] if resident.has_home_location else None,
        "care_level": resident.care_level,
        "due_on": resident.due_on.isoformat(),
    }


Action = ErrandEvent.Action


def _errand_row(errand: Errand, buttons: list[dict]) -> dict:
    return {
        "id": str(errand.pk),
        "number": errand.number,
        "service": errand.service.name,
        "resident": {"id": errand.resident_id, "name": errand.resident.name, "address": errand.resident.address},
        "state": errand.state,
        "state_label": errand.get_state_display(),
        "version": errand.version,
        "due_on": errand.due_on.isoformat(),
        # The assignee may always act on their own errand (outreach.errands.services.may_act).
        # Delivery needs its own page (how it went back, a receipt photo): not offline.
        "next_actions": [b for b in buttons if b["action"] != Action.DELIVER and not b["problem"]],
    }


@require_GET
def offline_today(request):
    """The worker's Today kept on the phone: their due residents (the minimum a visit
    needs) and their own open errands. Only a grid worker's own grid: others' Today is
    not a visiting list, so they get their errands only."""
    if not request.user.is_authenticated:
        response = JsonResponse({"message": _("Please log in.")}, status=401)
        response["Cache-Control"] = NO_STORE
        return response
    today = timezone.localdate()
    residents = []
    if reach_of(request.user).is_field_worker():
        # Without the categories Today shows: the phone needs who, where and when only.
        due = selectors.residents_due_for(user=request.user, today=today)
        residents = [_resident_row(r) for r in due]
    # Where 今日路线 starts on the phone when its position is not known (route.js).
    start = route_start(user=request.user) if residents else None
    own = list(errand_selectors.open_errands_of(user=request.user, today=today))
    buttons = errand_buttons(user=request.user, errands=own)
    errands = [_errand_row(e, buttons[e.pk]) for e in own]
    response = JsonResponse(
        {
            "user": request.user.pk,
            "generated_at": timezone.now().isoformat(),
            "today": today.isoformat(),
            "keep_days": settings.DAIBAN_OFFLINE_DAYS,
            "route_start": list(start) if start else None,
            # What the offline visit form checks the position against, as the visit page does.
            "visit_rules": {
                "awayMeters": settings.DAIBAN_VISIT_AWAY_METERS,
                "maxAccuracy": settings.DAIBAN_VISIT_MAX_ACCURACY_METERS,
            },
            "state_labels": {str(value): str(label) for value, label in Errand.State.choices},
            "residents": residents,
            "errands": errands,
        },
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = NO_STORE
    return response


@require_GET
def offline_csrf(request):
    """A fresh CSRF token for the outbox, fetched before each send (a token held since
    the morning may have been rotated by a login since), and whether the session is
    still alive — so an expired one asks for a login instead of failing item by item."""
    authenticated = request.user.is_authenticated
    response = JsonResponse(
        {
            "token": get_token(request),
            "authenticated": authenticated,
            "user": request.user.pk if authenticated else None,
        }
    )
    response["Cache-Control"] = NO_STORE
    return response


# --- logout --------------------------------------------------------------------------------------


class LogoutView(auth_views.LogoutView):
    """Django's logout, plus: the browser empties this site's HTTP cache, and the
    logged-out page is told so that its script deletes the Today list kept on the phone
    (the page's script already did before sending the logout). The page warns before
    logging out while the person's own items wait to be sent.

    Not ``"storage"``: it would empty IndexedDB whole, and on a shared phone the outbox
    holds other people's unsent visits (an expired session leaves them there), which
    only their author may send or discard. The script deletes what the person logging out
    may not leave behind instead, and nothing of anyone else's."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache"'
        return response

    def get_default_redirect_url(self):
        return super().get_default_redirect_url() + "?logged_out=1"
