"""Outreach models, one module per kind of record: residents and their home visits
(``residents``), the proxy errands run for them with orders, complaints and
notifications (``errands``), their delivery by SMS and messaging robots
(``deliveries``), the joint branches' activities at their paired points
(``branches``), and counts kept per area as things happen (``tallies``): what happened
each day, and the active residents by the day their next visit is due."""

from outreach.models.branches import (
    ActivityTopic,
    BranchActivity,
    BranchActivityPhoto,
    BranchActivityPoint,
    BranchEvent,
)
from outreach.models.deliveries import Channel, Delivery, NotificationPreference
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
from outreach.models.jobs import Job, PeriodicRun
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
from outreach.models.tallies import CoverageDay, DayTally, DueTally

__all__ = [
    "ActivityTopic",
    "AuditEvent",
    "BranchActivity",
    "BranchActivityPhoto",
    "BranchActivityPoint",
    "BranchEvent",
    "Category",
    "Channel",
    "Complaint",
    "CoverageDay",
    "DayTally",
    "Delivery",
    "DueTally",
    "Errand",
    "ErrandEvent",
    "ErrandPhoto",
    "Hazard",
    "Job",
    "NationalIdCheck",
    "Notification",
    "NotificationPreference",
    "OnlineOrder",
    "PeriodicRun",
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
