"""Checking national IDs against the registry without making it an oracle: the one place
every door (the resident form, the order's resident form, the roster import and its
command) asks "is this ID registered already?".

Duplicates are still caught, but a user learns only what their reach already shows: an
ID registered to a resident they can see is "already registered, search for them"; one
registered outside their areas gets a neutral answer that says neither where nor
whether — it cannot be registered here, and whom to ask — and an audit row with the
actor, so the officials of that resident's area can see who asked. Each user may check
DAIBAN_ID_CHECKS_PER_DAY different IDs a day (the same ID again is free), which bounds
guessing; city administrators, who see every resident, learn nothing new and are not
counted, nor is the shell's import_residents (whoever runs it holds the database).

The checks and audit rows are written before the caller's transaction opens: a refused
registration rolls back its own writes, never the record of the attempt.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper
from django.utils import timezone
from django.utils.translation import gettext as _

from grid.access import reach_of
from grid.models import User
from outreach.common import crypto
from outreach.models import AuditEvent, NationalIdCheck, Resident


class Door(StrEnum):
    FORM = "form"
    ROSTER = "roster"
    COMMAND = "command"  # manage.py import_residents: audited, not counted


class Registered(StrEnum):
    MINE = "mine"  # registered to a resident the user can see
    ELSEWHERE = "elsewhere"  # registered outside the user's reach: the neutral answer


class IdCheckLimitReached(Exception):
    """The user has checked as many national IDs today as one person may: nothing was
    checked (answered 429)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Checked:
    registered: dict[str, Registered]  # by digest: only the IDs that are registered already


def registered_here_message() -> str:
    return _("A resident with this national ID is already registered. Search for them instead of registering again.")


def neutral_message() -> str:
    """Outside the user's reach: neither where nor whether, and whom to ask."""
    return _(
        "This national ID cannot be registered here. If this person should be served in your area, ask the city "
        "administrator (市级管理员) to check it."
    )


def message_for(registered: Registered) -> str:
    return registered_here_message() if registered == Registered.MINE else neutral_message()


def _limit_message(*, limit: int, left: int, asked: int) -> str:
    if asked == 1:
        return _(
            "You have checked %(limit)d national IDs today, the most one person may check in a day, so this one was "
            "not checked. Try again tomorrow, or ask the city administrator (市级管理员)."
        ) % {"limit": limit}
    return _(
        "This file holds %(asked)d national IDs not checked today, but you may check only %(left)d more today "
        "(at most %(limit)d a day). Import the rest tomorrow, or ask the city administrator (市级管理员) to import "
        "the file."
    ) % {"asked": asked, "left": left, "limit": limit}


def _count_checks(*, actor: User, digests: set[str]) -> None:
    """Record the checks of ``digests`` for today, or raise IdCheckLimitReached (recording
    nothing) when the new ones would go past the day's limit. Two queries at most."""
    today = timezone.localdate()
    done = set(NationalIdCheck.objects.filter(user=actor, day=today).values_list("digest", flat=True))
    new = digests - done
    if not new:
        return
    limit = settings.DAIBAN_ID_CHECKS_PER_DAY
    if len(done) + len(new) > limit:
        raise IdCheckLimitReached(_limit_message(limit=limit, left=max(limit - len(done), 0), asked=len(new)))
    NationalIdCheck.objects.bulk_create(
        [NationalIdCheck(user=actor, day=today, digest=d) for d in sorted(new)], ignore_conflicts=True
    )


def digest_aliases(numbers: Iterable[str]) -> dict[str, str]:
    """Each number's digest under every configured key → its digest under the current key."""
    return {alias: crypto.digest(n) for n in numbers for alias in crypto.digests(n)}


def national_ids_check(
    *,
    actor: User,
    masked_by_digest: Mapping[str, str],
    door: Door,
    exclude_pk: int | None = None,
    address: str | None = None,
    stored_as: Mapping[str, str] | None = None,
) -> Checked:
    """Which of these IDs (digest → masked form) are registered already, and whether to
    the user's own residents. Counts them against the day's limit first (raises
    IdCheckLimitReached); audits each one registered outside the user's reach.
    ``exclude_pk``: the resident being edited, whose own ID is no duplicate.
    ``stored_as``: every digest a stored copy may carry (one per configured key while a key
    rotation is under way, ``digest_aliases``) → the digest given in ``masked_by_digest``."""
    if not masked_by_digest:
        return Checked(registered={})
    reach = reach_of(actor)
    if door != Door.COMMAND and not reach.is_city_admin:
        _count_checks(actor=actor, digests=set(masked_by_digest))
    aliases = {**{d: d for d in masked_by_digest}, **(stored_as or {})}
    candidates = Resident.objects.filter(national_id_digest__in=sorted(aliases))
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    found = candidates.annotate(
        mine=ExpressionWrapper(reach.area_q(prefix="grid__"), output_field=BooleanField())
    ).values_list("national_id_digest", "pk", "mine")
    registered: dict[str, Registered] = {}
    refused = []
    for stored, pk, mine in found:
        digest = aliases[stored]
        registered[digest] = Registered.MINE if mine else Registered.ELSEWHERE
        if not mine:
            refused.append(
                AuditEvent(
                    actor=actor,
                    action=AuditEvent.Action.NATIONAL_ID_REFUSED,
                    resident_id=pk,
                    address=address,
                    detail={"door": str(door), "national_id": masked_by_digest[digest]},
                )
            )
    if refused:
        AuditEvent.objects.bulk_create(refused)
    return Checked(registered=registered)
