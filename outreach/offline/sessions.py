"""How long a login lasts: a grid worker's phone stays logged in for
DAIBAN_FIELD_SESSION_DAYS, everyone else's login lasts the working day
(SESSION_COOKIE_AGE).

The installable app is opened from the home screen every morning; asking a worker in a
village lane for the password each time is what the field phone should not do. Offices
log in on shared PCs and keep the working day. The rule is the Reach's "a grid worker and
nothing else" (the phone's bar of a worker): anyone who also holds an office role, or
may open the Django admin, keeps the short session.

Logout ends the long session like any other (the session is flushed, the browser told
to wipe its data: ``LogoutView``); so does deactivating the user or changing the
password, which Django checks on every request.
"""

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest

from grid.access import reach_of
from grid.models import User


def field_session_length(user: User) -> timedelta | None:
    """How long a new login of ``user`` lasts, or None for the working day of everyone."""
    if user.is_staff or user.is_superuser or not reach_of(user).is_only_field_worker():
        return None
    return timedelta(days=settings.DAIBAN_FIELD_SESSION_DAYS)


def keep_field_phones_logged_in(sender, request: HttpRequest | None, user: User, **kwargs) -> None:
    """``user_logged_in`` receiver: every door that logs a user in (the login page, the
    admin's) gives a grid worker's session its length."""
    length = field_session_length(user)
    if length is not None and request is not None and hasattr(request, "session"):
        request.session.set_expiry(length)
