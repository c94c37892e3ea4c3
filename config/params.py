"""The API's bounded parameters: the one page rule of every list, and ids.

Unbounded, ``?limit=9223372036854775808`` reached the database as a slice past the
64-bit range and answered a 500, and so did an id past it (``/residents/2**70``: SQLite
cannot even bind it); a page of a million rows would keep a worker busy for as long as
it takes to serialise them. Beyond these bounds the answer is the API's 422, naming the
field (config.api words it), and the bounds are in the OpenAPI document.
"""

from typing import Annotated, Any

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

BIGINT_MAX = 2**63 - 1  # the ids' column type (BigAutoField) on PostgreSQL and SQLite

# An id sent by a client: a row's primary key, or a version number compared with one.
Id = Annotated[int, Field(ge=1, le=BIGINT_MAX)]

PAGE_DEFAULT = 100
PAGE_MAX = 200
# Far above any list Daiban holds (the synthetic city has 2.7 million visits), and with
# PAGE_MAX well inside the 64-bit range the databases slice with.
OFFSET_MAX = 1_000_000_000


class Page(LimitOffsetPagination):
    """``limit`` items from ``offset`` on, and the count of the whole list."""

    class Input(Schema):
        limit: int = Field(PAGE_DEFAULT, ge=1, le=PAGE_MAX, description=f"Items per page, 1 to {PAGE_MAX}.")
        offset: int = Field(0, ge=0, le=OFFSET_MAX, description="Items to skip from the start of the list.")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=PAGE_MAX, **kwargs)
