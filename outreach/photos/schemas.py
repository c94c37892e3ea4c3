"""The API's photo schemas."""

# A list of files in a multipart request: the photos sent beside a record's form fields.
PHOTO_FILES = {"type": "array", "items": {"type": "string", "format": "binary"}}
