"""What an audit entry says, in one line of the reader's language, and the audit log as
a table for the spreadsheet writer (the page and its export say the same)."""

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from outreach.common.spreadsheets import Column, Kind, Table
from outreach.models import AuditEvent, Resident, Visit


def _field_label(name: str, model) -> str:
    if name == "national_id":
        return _("national ID")
    if name == "categories":
        return _("categories")
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a field since removed: its name is still worth showing
        return name


def describe(event: AuditEvent) -> str:
    """What happened, in one line of the reader's language (the page and the export)."""
    detail = event.detail or {}
    Action = AuditEvent.Action
    if event.action == Action.RESIDENT_UPDATED:
        fields = [_field_label(f, Resident) for f in detail.get("changes", {})]
        return _("Changed: %(fields)s") % {"fields": "、".join(fields)} if fields else ""
    if event.action == Action.VISIT_CORRECTED:
        fields = [_field_label(f, Visit) for f in detail.get("fields", [])]
        return _("Corrected: %(fields)s") % {"fields": "、".join(fields)}
    if event.action == Action.VISIT_RECORDED and detail.get("outcome") in Visit.Outcome.values:
        return str(Visit.Outcome(detail["outcome"]).label)
    if event.action == Action.RESIDENTS_IMPORTED:
        return _("%(file)s: %(count)s residents") % {
            "file": detail.get("filename", ""),
            "count": detail.get("count", 0),
        }
    if event.action == Action.LIST_EXPORTED:
        return _("%(list)s (%(rows)s rows, %(format)s)") % {
            "list": detail.get("list", ""),
            "rows": detail.get("rows", 0),
            "format": str(detail.get("format", "")).upper(),
        }
    return ""


def audit_table(events: list[AuditEvent], *, title: str, cut_at: int | None = None) -> Table:
    """The entries as rows, newest first; ``cut_at``: the file stops there (a note says so)."""
    table = Table(
        title,
        [
            Column(_("When"), Kind.TEXT, 18),
            Column(pgettext("audit log", "Who"), Kind.TEXT, 12),
            Column(_("Username"), Kind.CODE, 14),
            Column(_("Action"), Kind.TEXT, 16),
            Column(_("Resident"), Kind.TEXT, 12),
            Column(_("National ID"), Kind.TEXT, 22),
            Column(_("Area"), Kind.TEXT, 20),
            Column(_("Detail"), Kind.TEXT, 40, wrap=True),
            Column(_("From address"), Kind.CODE, 16),
        ],
    )
    for event in events:
        table.rows.append(
            [
                f"{timezone.localtime(event.at):%Y-%m-%d %H:%M:%S}",
                event.actor.display_name,
                event.actor.username,
                event.get_action_display(),
                event.resident.name if event.resident else "",
                event.resident.national_id_masked if event.resident else "",
                event.area.name if event.area else "",
                describe(event),
                event.address or "",
            ]
        )
    if cut_at is not None:
        table.notes.append(
            _("Only the newest %(limit)s entries are in this file: narrow the dates for older ones.")
            % {"limit": cut_at}
        )
    return table
