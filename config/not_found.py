"""Daiban's own 404 page while debugging, so that the demo (`make run`, DEBUG on) shows
what a user sees: an address that does not exist, or is outside the user's areas, gets
templates/404.html, not Django's technical page (in English, 980 px wide, listing every
URL pattern of the site to whoever guesses an id). DAIBAN_TECHNICAL_404=1 brings the
technical page back for a developer looking for a URL pattern."""

from django.conf import settings
from django.http import Http404
from django.views.defaults import page_not_found


class DaibanNotFoundMiddleware:
    """Replaces an HTML 404 answer with Daiban's page while DEBUG is on (installed only
    then; tests turn DEBUG off, and without it Django renders 404.html itself). The
    API's 404s are JSON and stay as they are."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG and response.status_code == 404 and response.get("Content-Type", "").startswith("text/html"):
            return page_not_found(request, Http404())
        return response
