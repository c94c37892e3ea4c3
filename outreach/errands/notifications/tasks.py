"""Background tasks of notifications (django.tasks, run by ``manage.py worker``)."""

from django.tasks import task

from outreach.errands.notifications.delivery import delivery_attempt


@task()
def deliver(delivery_id: int) -> str:
    """Send one Delivery; after a failure, queue itself again for the backoff's time.
    Running it twice sends once (the row is claimed before sending)."""
    attempt = delivery_attempt(delivery_id=delivery_id)
    if attempt.retry_at is not None:
        deliver.using(run_after=attempt.retry_at).enqueue(delivery_id)
    return attempt.status
