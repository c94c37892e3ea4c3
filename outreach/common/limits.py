"""Field limits read off the models: a form, an import or an API schema asks here rather
than repeating a number, so a change to the model changes every door."""

from typing import Any, cast

from django.db.models import Field, Model


def max_length(model: type[Model], field_name: str) -> int:
    """The ``max_length`` of ``model``'s CharField ``field_name``."""
    field = cast("Field[Any, Any]", model._meta.get_field(field_name))  # a CharField, not a relation
    length = field.max_length
    if length is None:
        raise ValueError(f"{model.__name__}.{field_name} has no max_length")
    return length
