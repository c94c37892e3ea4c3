"""Indexes for the dashboard's period figures at city scale (outreach.dashboard): visits,
errands by request and delivery time, completions by time, trips saved by day,
complaints by registration time, and residents' grids without reading the residents
table. Measured with ``manage.py bench`` (README, Performance)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grid', '0005_branch_member_role'),
        ('outreach', '0004_branch_activities'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(fields=['registered_at'], name='complaint_registered_idx'),
        ),
        migrations.AddIndex(
            model_name='errand',
            index=models.Index(fields=['requested_at', 'resident'], name='errand_requested_idx'),
        ),
        migrations.AddIndex(
            model_name='errand',
            index=models.Index(fields=['delivered_at'], name='errand_delivered_idx'),
        ),
        migrations.AddIndex(
            model_name='errandevent',
            index=models.Index(fields=['action', 'at', 'errand'], name='errand_event_action_time_idx'),
        ),
        migrations.AddIndex(
            model_name='resident',
            index=models.Index(fields=['id', 'grid'], name='resident_id_grid_idx'),
        ),
        migrations.AddIndex(
            model_name='tripssaved',
            index=models.Index(fields=['recorded_on', 'resident'], name='trips_recorded_idx'),
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(fields=['visited_at', 'resident'], name='visit_time_resident_idx'),
        ),
    ]
