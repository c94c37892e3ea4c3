"""Outreach models: residents and their home visits (``residents``), and the proxy
errands run for them (``errands``)."""

from outreach.models.errands import (
    Complaint, Errand, ErrandEvent, ErrandPhoto, Notification, OnlineOrder, ServiceType, TripsSaved,
)
from outreach.models.residents import (
    AuditEvent, Category, Hazard, Resident, ResidentCategory, RosterImport, Visit, VisitCorrection, VisitPhoto,
)

__all__ = [
    "AuditEvent", "Category", "Complaint", "Errand", "ErrandEvent", "ErrandPhoto", "Hazard", "Notification",
    "OnlineOrder", "Resident", "ResidentCategory", "RosterImport", "ServiceType", "TripsSaved", "Visit",
    "VisitCorrection", "VisitPhoto",
]

# The joint branches' activities at their paired points (``branches``).
from outreach.models.branches import (  # noqa: E402 — appended, so other features can append too
    ActivityTopic, BranchActivity, BranchActivityPhoto, BranchActivityPoint, BranchEvent,
)

__all__ += ["ActivityTopic", "BranchActivity", "BranchActivityPhoto", "BranchActivityPoint", "BranchEvent"]

# What happened per area and day, counted as it happens (``tallies``).
from outreach.models.tallies import DayTally  # noqa: E402

__all__ += ["DayTally"]
