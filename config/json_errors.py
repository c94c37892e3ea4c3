"""Errors under /api/: their JSON shapes, and the middleware that gives every error there
one of them, whoever raised it.

The API's own errors are JSON already (config.api's handlers). Some answers come from
outside it: Django's URL resolver (404 for a path no router has), django-ninja's method
check (405, with its Allow header), a crash (500, logged by Django as always), a request
Django refuses before any view (400). A client that parses every answer as JSON must not
meet an HTML page there, so this middleware rewrites those bodies, and only those.
"""

import json

from django.utils.translation import gettext as _
from ninja import Schema

API_PREFIX = "/api/"


class MessageOut(Schema):
    message: str


class FieldErrorOut(Schema):
    field: str
    message: str


class InvalidOut(Schema):
    message: str
    errors: list[FieldErrorOut]


def status_message(status: int) -> str:
    """What an HTTP error status means, in words a person can act on."""
    messages = {
        400: _("The request could not be read."),
        403: _("You may not do this."),
        404: _("Not found."),
        405: _("This address does not answer that method."),
        413: _("The request is too large."),
        429: _("Too many requests. Wait a moment and try again."),
        500: _("Something went wrong on the server. Try again later; if it keeps happening, tell the administrator."),
    }
    return messages.get(status) or _("The request failed (HTTP %(status)d).") % {"status": status}


class ApiErrorsAsJsonMiddleware:
    """Sits inside LocaleMiddleware, so the message is in the caller's language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path_info.startswith(API_PREFIX)
            and not response.streaming
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            response.content = json.dumps({"message": status_message(response.status_code)}, ensure_ascii=False)
            response["Content-Type"] = "application/json; charset=utf-8"
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response
