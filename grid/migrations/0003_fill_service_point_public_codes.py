"""Data: a random public code for every service point that has none yet."""

import secrets

from django.db import migrations


def fill_public_codes(apps, schema_editor):
    ServicePoint = apps.get_model("grid", "ServicePoint")
    points = list(ServicePoint.objects.filter(public_code__isnull=True).only("pk"))
    taken = set(ServicePoint.objects.exclude(public_code__isnull=True).values_list("public_code", flat=True))
    for point in points:
        code = secrets.token_urlsafe(9)
        while code in taken:  # 72 random bits: never in practice, but the column is unique
            code = secrets.token_urlsafe(9)
        taken.add(code)
        point.public_code = code
    ServicePoint.objects.bulk_update(points, ["public_code"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("grid", "0002_service_point_public_code"),
    ]

    operations = [
        # Going back, the column is dropped by the schema migration before this one.
        migrations.RunPython(fill_public_codes, migrations.RunPython.noop),
    ]
