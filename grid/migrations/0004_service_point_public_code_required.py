"""Schema: every service point now has a public code; new points get a random one."""

import grid.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("grid", "0003_fill_service_point_public_codes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="servicepoint",
            name="public_code",
            field=models.CharField(
                default=grid.models.new_public_code, editable=False,
                help_text="Part of the address of the point's public order form (its QR code).",
                max_length=16, unique=True, verbose_name="public order code",
            ),
        ),
    ]
