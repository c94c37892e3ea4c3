"""Count the day tallies of the visits, errands and ledger already recorded, so that an
upgraded database shows its history on the dashboard and the coverage map at once."""

from django.db import migrations


def fill(apps, schema_editor):
    from outreach.reporting import tallies

    tallies.rebuild(apps=apps)


class Migration(migrations.Migration):

    dependencies = [
        ("outreach", "0007_coverage_index"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
