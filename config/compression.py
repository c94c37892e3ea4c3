"""gzip for the text Daiban writes (pages, htmx partials, JSON and GeoJSON, CSV, the
worker script), when the browser accepts it; never for photos or spreadsheets, which are
compressed already (JPEG, XLSX is a zip) and would only cost the server CPU.

A page is compressed here rather than at a proxy so that every deployment, with or
without one in front (WhiteNoise serves the static files, no nginx rules), sends a phone
a tenth of the bytes: the town's errand board is 82 KB of HTML and 9.8 KB gzipped.

BREACH (guessing a secret in a compressed page from the sizes of many responses to
requests the attacker makes the browser send) is answered in layers:
- Django's CSRF token is masked afresh for every response (a new random mask, the same
  secret), so the token in a page never repeats byte for byte between two guesses;
- Django's GZipMiddleware adds a random 0–99 bytes to each compressed response ("Heal the
  Breach"), so one response's length says little and an attacker needs many times more;
- the session cookie is SameSite=Lax and HttpOnly: another site cannot make the browser
  send logged-in background requests (fetch, images), only whole-page navigations, which
  a user sees, one at a time;
- national IDs are shown masked; a full one appears only after a POST the audit log keeps.
"""

from django.middleware.gzip import GZipMiddleware

# Content types worth compressing: the rest (image/jpeg, image/png, XLSX) is compressed.
TEXT_TYPES = frozenset(
    {
        "application/javascript",
        "application/json",
        "application/geo+json",
        "application/manifest+json",
        "application/xml",
        "image/svg+xml",
    }
)


def is_text(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type.startswith("text/") or media_type in TEXT_TYPES


class TextGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        if not is_text(response.get("Content-Type", "")):
            return response
        return super().process_response(request, response)
