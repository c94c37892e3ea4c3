"""Daiban's JSON API under /api/v1/ (OpenAPI at /api/v1/openapi.json).

Browser clients use their session cookie and send the CSRF token on writes. Every error
is JSON with a ``message`` a person can read; out-of-scope ids answer 404.
"""

from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ConfigError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.security import SessionAuth

from config.json_errors import InvalidOut, MessageOut, status_message


class DaibanAPI(NinjaAPI):
    """Operation ids are part of the API (generated clients name their methods after
    them), so they must not follow the code around: each router's prefix is fixed here,
    as the ids were first published."""

    OPERATION_ID_PREFIXES = {
        "grid.api": "grid_api",
        "outreach.residents.api": "outreach_api",
        "outreach.errands.api": "outreach_errand_api",
        "outreach.branches.api": "outreach_branch_api",
        "outreach.jobs.api": "outreach_jobs_api",
    }

    def get_openapi_operation_id(self, operation: Operation) -> str:
        module = operation.view_func.__module__
        return f"{self.OPERATION_ID_PREFIXES[module]}_{operation.view_func.__name__}"

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        document = _OneNamePerSchema(self, path_prefix)
        _document_errors(document)
        return document


class _OneNamePerSchema(OpenAPISchema):
    """django-ninja keeps the last of two schemas that share a class name, so one of them
    was described wrongly (the branches' AreaOut stood for /areas' items). Two schemas
    under one name are refused here, which fails the OpenAPI test instead."""

    def add_schema_definitions(self, definitions: dict) -> None:
        for name, definition in definitions.items():
            if self.schemas.get(name, definition) != definition:
                raise ConfigError(f"Two API schemas are named {name}: give one of them another class name.")
        super().add_schema_definitions(definitions)


def _document_errors(document: OpenAPISchema) -> None:
    """The errors any operation may answer, in the shapes config.api's handlers give them:
    401 to a caller not logged in, 422 for a parameter or body out of its schema, 404 for
    an id in the path that is missing or out of reach, 400 and 403 for a body that is not
    JSON or a page whose CSRF token has expired."""
    message, invalid = (
        {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}
        for name in ("MessageOut", "InvalidOut")
    )
    for model in (MessageOut, InvalidOut):
        definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
        document.add_schema_definitions(definition.pop("$defs", {}) | {model.__name__: definition})
    for methods in document["paths"].values():
        for operation in methods.values():
            parameters = operation.get("parameters", [])
            errors = {401: ({"description": "Not logged in."} | message)}
            if parameters or "requestBody" in operation:
                errors[422] = {"description": "A parameter or field is not valid: which, and why."} | invalid
            if any(parameter["in"] == "path" for parameter in parameters):
                errors[404] = {"description": "Not found, or out of your reach."} | message
            if "requestBody" in operation:
                errors[400] = {"description": "The body is not valid JSON, or not a readable form."} | message
                errors[403] = {"description": "The CSRF token is missing or has expired."} | message
            responses = operation.setdefault("responses", {})
            for status, response in errors.items():
                responses.setdefault(status, response)


api = DaibanAPI(
    title="Daiban API",
    version="1",
    description="Red proxy service (红色代办): territory, service network, residents, visits, errands.",
    auth=SessionAuth(csrf=True),
    urls_namespace="api",
)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"message": status_message(404)}, status=404)


@api.exception_handler(AuthenticationError)
def not_logged_in(request, exc):
    return api.create_response(request, {"message": _("Please log in.")}, status=401)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    message = exc.message
    if exc.status_code == 403 and "CSRF" in str(message):
        message = _("The page has expired. Reload it (or log in again) and send once more.")
    return api.create_response(request, {"message": message}, status=exc.status_code)


@api.exception_handler(MultiPartParserError)
def unreadable_form(request, exc):
    # e.g. multipart/form-data without its boundary: the client's fault, not a crash
    message = _("The form could not be read: send multipart/form-data with its boundary, or JSON.")
    return api.create_response(request, {"message": message}, status=400)


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
    problem = _problem(kind, error.get("ctx") or {})
    if problem:
        return pgettext("API field error", "%(field)s: %(problem)s") % {"field": field, "problem": problem}
    return _("%(field)s: this value is not valid.") % {"field": field}


def _problem(kind: str, context: dict) -> str:
    """What is wrong with a value, by pydantic's error type: the bound it passed, the form
    it should have (empty for a type not worded here)."""
    problems = {
        "int_parsing": _("Write a whole number."),
        "int_type": _("Write a whole number."),
        "int_from_float": _("Write a whole number."),
        "int_parsing_size": _("This number is too large."),
        "float_parsing": _("Write a number."),
        "float_type": _("Write a number."),
        "finite_number": _("Write a number."),
        "bool_parsing": _("Write true or false."),
        "bool_type": _("Write true or false."),
        "string_type": _("Write text."),
        "list_type": _("Send a list."),
        "model_type": _("Send an object with the fields described in the API document."),
        "dict_type": _("Send an object with the fields described in the API document."),
        "uuid_parsing": _("Write a UUID, e.g. 3f2b8c1e-7d4a-4c55-9a1e-2b7f0c9d6e10."),
        "uuid_type": _("Write a UUID, e.g. 3f2b8c1e-7d4a-4c55-9a1e-2b7f0c9d6e10."),
        "date_parsing": _("Write a date as YYYY-MM-DD."),
        "date_from_datetime_parsing": _("Write a date as YYYY-MM-DD."),
        "date_type": _("Write a date as YYYY-MM-DD."),
        "datetime_parsing": _("Write a time as ISO-8601 with its offset, e.g. 2026-11-27T09:30:00+08:00."),
        "datetime_from_date_parsing": _("Write a time as ISO-8601 with its offset, e.g. 2026-11-27T09:30:00+08:00."),
        "datetime_type": _("Write a time as ISO-8601 with its offset, e.g. 2026-11-27T09:30:00+08:00."),
        "timezone_aware": _("Write a time as ISO-8601 with its offset, e.g. 2026-11-27T09:30:00+08:00."),
        "json_invalid": _("The request body is not valid JSON."),
        "enum": _("Choose one of: %(expected)s."),
        "literal_error": _("Choose one of: %(expected)s."),
        "less_than_equal": _("At most %(le)s."),
        "greater_than_equal": _("At least %(ge)s."),
        "less_than": _("Less than %(lt)s."),
        "greater_than": _("More than %(gt)s."),
        "string_too_short": _("At least %(min_length)s characters."),
        "too_long": _("At most %(max_length)s items."),
        "string_pattern_mismatch": _("Not in the expected form (%(pattern)s)."),
    }
    if kind not in problems:
        return ""
    if "expected" in context:  # pydantic lists choices as "'a', 'b' or 'c'": no English "or"
        context = {**context, "expected": str(context["expected"]).replace("' or '", "', '")}
    try:
        return problems[kind] % context
    except (KeyError, TypeError, ValueError):  # a context pydantic did not give
        return ""


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
api.add_router("/", "outreach.jobs.api.router")
