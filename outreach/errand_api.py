"""API of errands and the service catalogue."""

from ninja import Router

router = Router(tags=["errands"])
