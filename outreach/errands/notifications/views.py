"""The notification bell: the unread count in the top bar (polled by htmx, so pages keep
their query counts), the user's notifications newest first, marking one or all read.
A user only ever reaches their own notifications; anyone else's id answers 404. The
user's own channels besides the bell (通知方式)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from outreach.errands.notifications.channels import configured_channels
from outreach.errands.notifications.forms import NotificationPreferenceForm
from outreach.errands.notifications.selectors import (
    notification_for_user_or_404,
    notification_preference_of,
    notification_target,
    notifications_of,
    unread_count,
)
from outreach.errands.notifications.services import (
    notification_mark_read,
    notification_preference_save,
    notifications_mark_all_read,
)
from outreach.models import Channel

NOTIFICATIONS_PER_PAGE = 30
# htmx stops polling when a response has this status: a session that ran out stops asking.
HTMX_STOP_POLLING = 286
# Sent with every change of the unread count: the bell listens for it and asks again.
CHANGED_EVENT = "notifications-changed"


@require_GET
def notification_count(request):
    """The bell's inside: the icon and the unread count (three queries: session, user, count)."""
    if not request.user.is_authenticated:
        # Stop polling, but keep the bell's icon and its name: htmx swaps this answer in too.
        return HttpResponse(render_to_string("partials/bell.html#count", {}), status=HTMX_STOP_POLLING)
    # Rendered without the request: the shell's context processors (navigation) are not
    # needed for an icon and would cost a query on every poll.
    html = render_to_string("partials/bell.html#count", {"notifications_unread": unread_count(user=request.user)})
    return HttpResponse(html)


def _list_context(request) -> dict:
    page = Paginator(notifications_of(user=request.user), NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "page": page,
        "items": [{"notification": n, "target": notification_target(n)} for n in page],
        "unread": unread_count(user=request.user),
    }


@require_GET
@login_required
def notification_list(request):
    return render(request, "outreach/errands/notifications/list.html", _list_context(request))


@require_POST
@login_required
def notification_read(request, pk: int):
    """Mark one notification read and go to what it is about."""
    notification = notification_for_user_or_404(request.user, pk)
    notification_mark_read(notification=notification)
    return redirect(notification_target(notification) or reverse("notification-list"))


@require_POST
@login_required
def notification_read_all(request):
    marked = notifications_mark_all_read(user=request.user)
    if request.htmx:
        response = render(request, "outreach/errands/notifications/list.html#notifications", _list_context(request))
        response["HX-Trigger"] = CHANGED_EVENT
        return response
    messages.success(
        request,
        ngettext("%(count)d notification marked read.", "%(count)d notifications marked read.", marked)
        % {"count": marked},
    )
    return redirect("notification-list")


@require_http_methods(["GET", "POST"])
@login_required
def notification_preferences(request):
    """通知方式: the channels that reach the user besides the bell, only their own."""
    preference = notification_preference_of(user=request.user)
    available = {c.name for c in configured_channels()}
    initial = {"mobile": preference.mobile, **{name: preference.wants(name) for name in Channel.values}}
    form = NotificationPreferenceForm(request.POST or None, initial=initial, available=available)
    if request.method == "POST" and form.is_valid():
        try:
            notification_preference_save(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notification-preferences")
    return render(request, "outreach/errands/notifications/preferences.html", {"form": form})
