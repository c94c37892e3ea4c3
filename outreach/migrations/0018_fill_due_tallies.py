"""Count the due tallies of the residents already registered, so that an upgraded
database's coverage figures for today are right at once."""

from django.db import migrations


def fill(apps, schema_editor):
    from outreach.reporting import tallies

    tallies.rebuild_due(apps=apps)


class Migration(migrations.Migration):

    dependencies = [
        ("outreach", "0017_due_tallies"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
