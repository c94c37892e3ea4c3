"""Roster import screens (being implemented)."""

from django.http import Http404


def roster_upload(request):
    raise Http404


roster_preview = roster_commit = roster_template = roster_upload
