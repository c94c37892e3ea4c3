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
