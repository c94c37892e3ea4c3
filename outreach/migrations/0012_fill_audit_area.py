"""The audit rows written before events had an area: a resident's row is about the
resident's grid (where they live now); imports and the rest stay without one (the city
administrator reads those)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    AuditEvent = apps.get_model("outreach", "AuditEvent")
    Resident = apps.get_model("outreach", "Resident")
    AuditEvent.objects.filter(resident__isnull=False, area__isnull=True).update(
        area_id=Subquery(Resident.objects.filter(pk=OuterRef("resident_id")).values("grid_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [("outreach", "0011_audit_area_and_log_indexes")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
