"""Every screen, for every demo role, reads in Chinese: no English fragment a user would
see (text, labels, placeholders, blank choices, error messages), and none of the
renderings known to be wrong (one English word translated for another meaning, Django's
generic "this field is required").

The screens are found the way a user finds them: from home, following every link a page
offers (one page per kind of screen), in the demo city as `seed_demo` builds it, plus
each screen's forms sent empty. Beside tests/test_translations.py, which checks the
catalogue is complete; this checks that every string on screen goes through it."""

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve

from grid.models import ServicePoint
from outreach.residents.roster.services import COLUMNS, CONSENT_WORDS

pytestmark = pytest.mark.django_db

ROLES = ["worker", "worker2", "station", "street", "secretary", "admin"]

# Words that stay as they are in Chinese text: names of formats, standards and products.
ALLOWED_WORDS = {
    "GPS",
    "XLSX",
    "CSV",
    "QR",
    "ID",
    "EXIF",
    "WGS",
    "GCJ",
    "OpenStreetMap",
    "Leaflet",
    "Daiban",
    "Excel",
    "API",
    "JSON",
    "GeoJSON",
    "SVG",
    "Android",
    "iPhone",
    "App",
    "HTTP",
    "UUID",
    "PNG",
    "JPEG",
    "JPG",
    "WebP",
    "JavaScript",
    "English",  # the language switch names each language in its own words
    *ROLES,  # the demo's user names (the administrator has no other name)
    # The roster import page lists the codes a spreadsheet may use as column headers
    # and for the consent basis, beside their Chinese names.
    *(word for column in COLUMNS for word in column.field.split("_")),
    *(word for word in CONSENT_WORDS if word.isascii()),
    "csv",
    "xlsx",
}
# Django's admin writes these in English whatever the language (alt="Search" beside its
# search box, alt="True"/"False" of its yes/no icons), and so does django-axes's name
# of a login record ("Access Log for unknown @ …", its __str__): not in any catalogue.
ADMIN_UNTRANSLATABLE = {"Search", "True", "False", "Access", "Log", "for", "unknown"}
# Renderings that read in Chinese but say the wrong thing (one msgid, two meanings) or
# say nothing (Django's generic required-field error names no field).
WRONG = {
    "这个字段是必填项": "a required-field error that names no field",
    "- Select an option -": "Django's blank choice, untranslated",
    "---------": "Django's old blank choice",
}
# Words right on one screen and wrong on another: the timeline's "created" is the event
# (创建), not the date field (创建时间); a complaint's "What happened" is not an
# activity's (活动情况).
WRONG_ON = {
    "/errands/": {"创建时间": "the errand event 'created' read as the date field"},
    "/complaints/": {"活动情况": "a complaint's 'What happened' read as a branch activity's"},
}
# Pages not crawled: downloads, data for scripts, photos, the admin's own machinery and
# the doors that log out or switch language.
SKIP_URL = re.compile(
    r"\.(xlsx|csv|geojson|json|svg|js|webmanifest)$|^/photos/|^/account/logout/|^/i18n/|^/api/|^/static/|"
    r"/national-id/|^/admin/(logout|password_change|jsi18n|r)/|^/admin/.*/(delete|history)/"
)
# The admin pages read: its index and django-axes's (the rest of the admin is Django's
# own, with its own catalogue; permission names stay as Django stores them, in English).
ADMIN_PAGES = [
    "/admin/",
    "/admin/axes/",
    "/admin/axes/accessattempt/",
    "/admin/axes/accesslog/",
    "/admin/axes/accessfailurelog/",
    "/admin/outreach/delivery/",
    "/admin/outreach/notificationpreference/",
]
PAGES_PER_SCREEN = 2  # two residents, two errands…: enough to meet each state's words


class _VisibleText(HTMLParser):
    """The text a user sees or hears: element text outside scripts and styles, and the
    attributes a browser shows or reads out."""

    SPOKEN = ("title", "alt", "placeholder", "aria-label", "aria-description")
    # Not words: scripts, styles, icons, and what people typed or the app names by code
    # (a textarea's content, a spreadsheet column's code).
    HIDDEN_ELEMENTS = {"script", "style", "template", "svg", "textarea", "code"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in self.HIDDEN_ELEMENTS:
            self._hidden += 1
        for name in self.SPOKEN:
            if values.get(name):
                self.parts.append(values[name])
        if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
            self.parts.append(values["value"])
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        if tag == "form":
            self.forms.append({"method": (values.get("method") or "get").lower(), "action": values.get("action")})
        # The offline bar's words wait in data-t-* attributes until a script shows them.
        self.parts.extend(v for k, v in values.items() if k.startswith("data-t-") and v)

    def handle_endtag(self, tag):
        if tag in self.HIDDEN_ELEMENTS and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data)


def read(html: str) -> _VisibleText:
    parser = _VisibleText()
    parser.feed(html)
    return parser


def english_fragments(text: str) -> set[str]:
    text = re.sub(r"%\(\w+\)[sd]|https?://\S+", "", text)  # placeholders a script fills in; addresses
    words = set(re.findall(r"[A-Za-z][A-Za-z'’-]{2,}", text)) - ALLOWED_WORDS
    # Codes, not words: service codes (SB-BH), parts of errand numbers and ids (FBB).
    return {w for w in words if not w.isupper() and not re.fullmatch(r"[0-9a-fA-F-]+", w)}


def problems_of(html: str, *, path: str = "", admin: bool = False) -> list[str]:
    text = " ".join(read(html).parts)
    english = english_fragments(text) - (ADMIN_UNTRANSLATABLE if admin else set())
    found = [f"English: {word}" for word in sorted(english)]
    wrong_here = {
        **WRONG,
        **{w: why for prefix, words in WRONG_ON.items() if path.startswith(prefix) for w, why in words.items()},
    }
    found += [f"{why}: {wrong!r}" for wrong, why in wrong_here.items() if wrong in html]
    return found


def screen_key(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


@pytest.fixture
def demo_world(demo_users, settings):
    call_command("seed_demo", force=True, verbosity=0)  # the residents, errands, orders, complaints and activities


def crawl(client, start: list[str]) -> dict[str, list[str]]:
    """Every screen reachable by links from ``start``: path → what is wrong on it."""
    seen_paths: set[str] = set()
    posted: set[str] = set()
    per_key: dict[str, int] = {}
    report: dict[str, list[str]] = {}
    queue = deque(start)
    while queue:
        path = queue.popleft()
        parts = urlsplit(path)
        if parts.netloc or not parts.path.startswith("/") or path in seen_paths or SKIP_URL.search(parts.path):
            continue
        key = screen_key(parts.path)
        if key is None:
            continue
        key = f"{key}?{'&'.join(sorted(q.split('=')[0] for q in parts.query.split('&') if q))}"
        if per_key.get(key, 0) >= PAGES_PER_SCREEN:
            continue
        per_key[key] = per_key.get(key, 0) + 1
        seen_paths.add(path)
        response = client.get(path)
        if response.status_code in (301, 302):
            queue.append(response["Location"])
            continue
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        page = read(html)
        admin = parts.path.startswith("/admin/")
        report[path] = problems_of(html, path=parts.path, admin=admin)
        if admin:
            continue  # the admin pages listed, not the whole admin
        queue.extend(link for link in page.links if not link.startswith("#"))
        # Each form sent empty: the errors a user meets first.
        for form in page.forms:
            action = form["action"] or parts.path
            if form["method"] != "post" or SKIP_URL.search(urlsplit(action).path) or action in posted:
                continue
            posted.add(action)
            answer = client.post(
                action, {"nothing": ""}
            )  # bound (a view reads `request.POST or None`), every field empty
            if answer.status_code in (200, 422, 400, 409):
                report[f"POST {action}"] = problems_of(answer.content.decode(), path=urlsplit(action).path)
    return report


@pytest.mark.parametrize("username", [*ROLES, "public"])
def test_every_screen_reads_in_chinese(client, demo_users, demo_world, username):
    if username == "public":  # nobody logged in: the login page, a point's order form
        point = ServicePoint.objects.filter(tier=ServicePoint.Tier.GRID_POINT).order_by("pk").first()
        start = ["/account/login/", f"/order/{point.public_code}/"]
    else:
        client.force_login(demo_users[username])
        start = ["/", "/offline/", *(ADMIN_PAGES if username == "admin" else [])]
    report = crawl(client, start)
    assert len(report) > (3 if username == "public" else 10), f"the crawl found only {sorted(report)}"
    if username == "street":  # the screens of the known wrong words were read
        assert any(re.fullmatch(r"/errands/[0-9a-f-]{36}/", p) for p in report)
        assert any(re.fullmatch(r"/complaints/\d+/", p) for p in report)
    if username == "public":  # the login page sent empty names its fields
        assert "POST /account/login/" in report
    wrong = {path: found for path, found in report.items() if found}
    assert wrong == {}, f"{len(wrong)} of {len(report)} screens of {username} show English or wrong words"
