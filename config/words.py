"""Words Django, django-axes and django-tasks-db show without a Chinese translation, given one here.

Django 6.1 added the blank choice of every select, "- Select an option -", which its
zh_Hans catalogue does not translate yet; Django lets an app's ``ready()`` replace it
(``django.db.models.fields.BLANK_CHOICE_LABEL``). django-axes has no Chinese catalogue
at all: its msgids are listed below so that ``make messages`` keeps them in Daiban's
catalogue (LOCALE_PATHS wins over the apps' own), and the two admin columns it leaves
unnamed get names.
"""

from django.db.models import fields
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

# The first option of a select nobody has chosen in yet (not the "all" of a filter: the
# filters name their own).
BLANK_CHOICE = pgettext_lazy("blank choice of a select", "Choose")

# Django 6.1's admin: the date hierarchy's label, new and not yet in its zh_Hans catalogue.
ADMIN_WORDS = [gettext_noop("Filter by %(field_name)s")]

# django-axes's msgids, as it spells them (its models, its admin, its lockout message).
AXES_WORDS = [
    gettext_noop("Attempt Remaining"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Form Data"),
    gettext_noop("Locked Out"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("Account locked: too many login attempts. Contact an admin to unlock your account."),
    gettext_noop("Account locked: too many login attempts. Please try again later."),
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Time"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Logout Time"),
    gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
]


# django-tasks-db's msgids (its task results' admin: the background queue's log).
TASKS_DB_WORDS = [
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("status"),
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("args kwargs"),
    gettext_noop("priority"),
    gettext_noop("task path"),
    gettext_noop("worker id"),
    gettext_noop("queue name"),
    gettext_noop("backend name"),
    gettext_noop("run after"),
    gettext_noop("return value"),
    gettext_noop("exception class path"),
    gettext_noop("traceback"),
]


def install() -> None:
    """Called once from ``DaibanConfig.ready()``."""
    fields.BLANK_CHOICE_LABEL = BLANK_CHOICE


def name_admin_columns() -> None:
    """django-axes's admin lists two computed columns under their method names
    ("Expiration", "Status"), which no catalogue translates."""
    from axes.admin import AccessAttemptAdmin

    AccessAttemptAdmin.expiration.short_description = gettext_lazy("expires at")
    AccessAttemptAdmin.status.short_description = gettext_lazy("attempts left")
    # django-tasks-db's admin names its computed columns in English.
    from django_tasks_db.admin import DBTaskResultAdmin
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.task_name.fget.short_description = gettext_lazy("task")  # type: ignore[attr-defined]
    DBTaskResultAdmin.formatted_traceback.short_description = gettext_lazy("traceback")  # type: ignore[attr-defined]
    DBTaskResultAdmin.display_run_after.short_description = gettext_lazy("run after")  # type: ignore[attr-defined]
