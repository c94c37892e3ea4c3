"""The audit trail (PIPL): who changed what, and who read which sensitive data, when."""

from outreach.models import AuditEvent, Resident


def audit(
    *, actor, action: str, resident: Resident | None = None, detail: dict | None = None, address: str | None = None
):
    return AuditEvent.objects.create(
        actor=actor, action=action, resident=resident, detail=detail or {}, address=address
    )
