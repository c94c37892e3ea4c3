"""API of residents and visits (for the offline outbox and integrations)."""

from ninja import Router

router = Router(tags=["outreach"])
