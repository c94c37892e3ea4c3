"""Daiban's JSON API under /api/v1/ (OpenAPI at /api/v1/openapi.json).

Browser clients use their session cookie and send the CSRF token on writes. Every error
is JSON with a ``message`` a person can read; out-of-scope ids answer 404.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import Operation
from ninja.security import SessionAuth


class DaibanAPI(NinjaAPI):
    """Operation ids are part of the API (generated clients name their methods after
    them), so they must not follow the code around: each router's prefix is fixed here,
    as the ids were first published."""

    OPERATION_ID_PREFIXES = {
        "grid.api": "grid_api",
        "outreach.residents.api": "outreach_api",
        "outreach.errands.api": "outreach_errand_api",
        "outreach.branches.api": "outreach_branch_api",
    }

    def get_openapi_operation_id(self, operation: Operation) -> str:
        module = operation.view_func.__module__
        return f"{self.OPERATION_ID_PREFIXES[module]}_{operation.view_func.__name__}"


api = DaibanAPI(
    title="Daiban API",
    version="1",
    description="Red proxy service (红色代办): territory, service network, residents, visits, errands.",
    auth=SessionAuth(csrf=True),
    urls_namespace="api",
)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"message": _("Not found.")}, status=404)


@api.exception_handler(AuthenticationError)
def not_logged_in(request, exc):
    return api.create_response(request, {"message": _("Please log in.")}, status=401)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    message = exc.message
    if exc.status_code == 403 and "CSRF" in str(message):
        message = _("The page has expired. Reload it (or log in again) and send once more.")
    return api.create_response(request, {"message": message}, status=exc.status_code)


@api.exception_handler(ValidationError)
def invalid(request, exc: ValidationError):
    errors = [{"field": _field_name(error.get("loc", ())), "message": _message(error)} for error in exc.errors]
    return api.create_response(request, {"message": _("Some fields are not valid."), "errors": errors}, status=422)


def _message(error: dict) -> str:
    # Pydantic writes its messages in English ("Field required", "Input should be a valid
    # integer"): say which field and what is wrong in the request's language, in the words
    # the forms use (outreach.common.forms.required_message).
    field = _field_name(error.get("loc", ()))
    kind = error.get("type")
    if kind == "missing":
        return pgettext("required field error", "Fill in %(field)s") % {"field": field}
    if kind == "string_too_long":
        limit = (error.get("ctx") or {}).get("max_length")
        return _("%(field)s: at most %(limit)s characters.") % {"field": field, "limit": limit}
    if kind == "value_error":  # a schema validator's own words, without pydantic's "Value error, "
        return str((error.get("ctx") or {}).get("error") or error.get("msg", ""))
    if kind is None:  # a service's refusal (outreach.common.api.invalid_input): already in words
        return error.get("msg", "")
    return _("%(field)s: this value is not valid.") % {"field": field}


def _field_name(loc) -> str:
    # ("query", "tier") → "tier"; ("body", "payload", "outcome") → "outcome": the client
    # knows its fields, not the name of the Python parameter that holds them.
    parts = [str(part) for part in loc[1:]]
    if loc and loc[0] == "body" and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)


api.add_router("/", "grid.api.router")
api.add_router("/", "outreach.residents.api.router")
api.add_router("/", "outreach.errands.api.router")
api.add_router("/", "outreach.branches.api.router")
