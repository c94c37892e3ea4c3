"""What a service raises besides Django's ValidationError, for every door (page, partial,
API) to answer the same way."""


class Conflict(Exception):
    """Someone else's write got there first; ``current`` is what is stored now."""

    def __init__(self, message: str, current=None):
        super().__init__(message)
        self.message = message
        self.current = current


class FieldRejected(ValueError):
    """Input refused as a whole, such as an unreadable photo: the message says why in the
    user's language, ``field`` names the input for the API's error list."""

    field = ""
