"""The API plumbing every router shares: a body sent as JSON or as form fields, a
service's refusal in the 422 shape, and the message schemas (config.json_errors's)."""

import json
from typing import Any, get_origin

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.errors import ValidationError as InvalidInput
from ninja.params.models import BodyModel, Param

from config.json_errors import FieldErrorOut, InvalidOut, MessageOut
from outreach.common.errors import FieldRejected

__all__ = [
    "FieldErrorOut",
    "InvalidOut",
    "JsonOrForm",
    "MessageOut",
    "invalid_input",
]  # the error shapes live in config

# --- a body read from JSON, or from the form fields of a multipart request -------------

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class _JsonOrFormModel(BodyModel):
    @classmethod
    def resolve(cls, request: HttpRequest, api, path_params):
        # Validate the schema itself (not a wrapper around it), so that a bad field is
        # reported as "outcome", not "payload.outcome".
        name = cls.__read_from_single_attr__
        schema = cls.model_fields[name].annotation
        assert schema is not None  # JsonOrForm's parameter is annotated with its schema
        value = schema.model_validate(cls._read(request, api, schema), context={"request": request})
        return cls.model_construct(**{name: value})

    @staticmethod
    def _read(request: HttpRequest, api, schema) -> Any:
        if request.content_type in FORM_TYPES:
            lists = [name for name, field in schema.model_fields.items() if get_origin(field.annotation) is list]
            fields = api.parser.parse_querydict(request.POST, lists, request)
            return {key: value for key, value in fields.items() if value != ""}  # an empty field is a field not sent
        if not request.body:
            return {}
        try:
            return json.loads(request.body)
        except ValueError:
            raise HttpError(400, _("The request body is not valid JSON.")) from None


class JsonOrForm(Param):  # type: ignore[misc]  # FieldInfo is final to pydantic; ninja subclasses it too
    """A body parameter sent as JSON, or as form fields when the request is multipart
    (a phone sending a visit and its photos in one request)."""

    _model = _JsonOrFormModel

    @classmethod
    def _param_source(cls) -> str:
        return "body"


def invalid_input(exc: ValidationError | FieldRejected) -> InvalidInput:
    """A service's refusal in the API's 422 shape (config.api.invalid): one entry per field
    and message; a rejected photo is an error of the field "photos"."""
    if isinstance(exc, FieldRejected):
        pairs = [(exc.field, str(exc))]
    elif hasattr(exc, "error_dict"):
        pairs = [(field, message) for field, messages in exc.message_dict.items() for message in messages]
    else:
        pairs = [("", message) for message in exc.messages]
    return InvalidInput(
        [
            {"loc": ("body",) if field in ("", "__all__") else ("body", field), "msg": message}
            for field, message in pairs
        ]
    )
