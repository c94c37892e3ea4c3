"""Outreach models, one module per kind of record: residents and their home visits
(``residents``), the proxy errands run for them with orders, complaints and
notifications (``errands``), the joint branches' activities at their paired points
(``branches``) and what happened per area and day, counted as it happens (``tallies``)."""

from outreach.models.branches import (
    ActivityTopic,
    BranchActivity,
    BranchActivityPhoto,
    BranchActivityPoint,
    BranchEvent,
)
from outreach.models.errands import (
    Complaint,
    Errand,
    ErrandEvent,
    ErrandPhoto,
    Notification,
    OnlineOrder,
    ProgressLookup,
    ServiceType,
    TripsSaved,
    UsedOrderFormToken,
)
from outreach.models.residents import (
    AuditEvent,
    Category,
    Hazard,
    NationalIdCheck,
    Resident,
    ResidentCategory,
    RosterImport,
    Visit,
    VisitCorrection,
    VisitPhoto,
)
from outreach.models.tallies import DayTally

__all__ = [
    "ActivityTopic",
    "AuditEvent",
    "BranchActivity",
    "BranchActivityPhoto",
    "BranchActivityPoint",
    "BranchEvent",
    "Category",
    "Complaint",
    "DayTally",
    "Errand",
    "ErrandEvent",
    "ErrandPhoto",
    "Hazard",
    "NationalIdCheck",
    "Notification",
    "OnlineOrder",
    "ProgressLookup",
    "Resident",
    "ResidentCategory",
    "RosterImport",
    "ServiceType",
    "TripsSaved",
    "UsedOrderFormToken",
    "Visit",
    "VisitCorrection",
    "VisitPhoto",
]
