"""Schema: give every service point a public code for its QR order form. Nullable for
now, so the next (data) migration can fill the existing rows with distinct codes."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("grid", "0001_territory_network_and_scopes"),
    ]

    operations = [
        migrations.AddField(
            model_name="servicepoint",
            name="public_code",
            field=models.CharField(editable=False, max_length=16, null=True, unique=True,
                                   verbose_name="public order code"),
        ),
    ]
