"""Writes of a joint branch's workspace: its members (a branch_member Scope), its
pairings with agency points and their liaisons, and its activities at those points with
their photos. Each is one transaction with a BranchEvent row; bad input raises
ValidationError (field → message) before anything is written.

The secretary manages members and pairings; the secretary and the members log
activities. The views answer 404 to anyone else before calling these; the checks here
hold for every other caller too.
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grid.models import JointBranch, Pairing, Role, Scope, ServicePoint, User
from outreach.branches.selectors import PAIRABLE_TIER, liaison_choices, may_manage, may_work_in
from outreach.common.errors import Conflict
from outreach.common.limits import max_length
from outreach.models import ActivityTopic, BranchActivity, BranchActivityPhoto, BranchActivityPoint, BranchEvent
from outreach.photos.services import PhotoUploads

Action = BranchEvent.Action
# How far back a held activity may be logged (a replay of a stored one is always accepted).
LOG_WINDOW_DAYS = 366
TOPICS_OTHER_MAX = max_length(BranchActivity, "topics_other")
NOTES_MAX = 2000
MAX_POINTS = 200


def _event(*, branch: JointBranch, actor: User, action: str, **detail: object) -> BranchEvent:
    return BranchEvent.objects.create(branch=branch, actor=actor, action=action, detail=detail)


def _require_secretary(actor: User, branch: JointBranch) -> None:
    if not may_manage(actor, branch):
        raise ValidationError(
            _("Only the secretary of %(branch)s changes its members and pairings.") % {"branch": branch}
        )


# --- members -------------------------------------------------------------------------------------


@transaction.atomic
def branch_member_add(*, actor: User, branch: JointBranch, username: str) -> User:
    """Make an existing account a member of the branch (a branch_member Scope)."""
    _require_secretary(actor, branch)
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": _("Enter the user name of the person's account.")})
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError(
            {
                "username": _(
                    "There is no active account “%(name)s”. Check the spelling, or ask the "
                    "administrator to create the account first."
                )
                % {"name": username}
            }
        )
    already = _("%(name)s is already in %(branch)s.") % {"name": user.display_name, "branch": branch}
    if Scope.objects.filter(user=user, branch=branch).exists():
        raise ValidationError({"username": already})
    try:
        with transaction.atomic():
            Scope.objects.create(user=user, role=Role.BRANCH_MEMBER, branch=branch)
    except IntegrityError:  # added by someone else a moment ago
        raise ValidationError({"username": already}) from None
    _event(branch=branch, actor=actor, action=Action.MEMBER_ADDED, user=user.pk, username=user.username)
    return user


@transaction.atomic
def branch_member_remove(*, actor: User, branch: JointBranch, user: User) -> int:
    """Take a member out of the branch. Pairings they were the liaison of keep going
    without one; returns how many, so the secretary can choose new liaisons."""
    _require_secretary(actor, branch)
    deleted, _detail = Scope.objects.filter(user=user, role=Role.BRANCH_MEMBER, branch=branch).delete()
    if not deleted:
        raise ValidationError(
            _("%(name)s is not a member of %(branch)s.") % {"name": user.display_name, "branch": branch}
        )
    orphaned = Pairing.objects.filter(branch=branch, until__isnull=True, liaison=user).update(
        liaison=None, liaison_name=""
    )
    _event(
        branch=branch,
        actor=actor,
        action=Action.MEMBER_REMOVED,
        user=user.pk,
        username=user.username,
        pairings_without_liaison=orphaned,
    )
    return orphaned


# --- pairings ------------------------------------------------------------------------------------


def _check_liaison(branch: JointBranch, liaison: User | None) -> None:
    if liaison is not None and liaison.pk not in {u.pk for u in liaison_choices(branch=branch)}:
        raise ValidationError(
            {
                "liaison": _("%(name)s is not in %(branch)s: choose the secretary or one of its members.")
                % {"name": liaison.display_name, "branch": branch}
            }
        )


@transaction.atomic
def pairing_add(
    *, actor: User, branch: JointBranch, point: ServicePoint, since: date | None = None, liaison: User | None = None
) -> Pairing:
    """Pair the branch with a village/community agency point from ``since`` (today by
    default), optionally naming the member who keeps in touch with it."""
    _require_secretary(actor, branch)
    today = timezone.localdate()
    since = since or today
    errors: dict[str, str] = {}
    if point.tier != PAIRABLE_TIER:
        errors["point"] = _(
            "%(point)s is not a village or community agency point; branches pair with community stations."
        ) % {"point": point}
    if since > today:
        errors["since"] = _("A pairing cannot start in the future (%(date)s).") % {"date": since.isoformat()}
    current = Pairing.objects.filter(branch=branch, point=point, until__isnull=True).first()
    if current is not None:
        errors["point"] = _("%(point)s is already paired with the branch, since %(date)s.") % {
            "point": point,
            "date": current.since.isoformat(),
        }
    last_end = (
        Pairing.objects.filter(branch=branch, point=point, until__isnull=False)
        .order_by("-until")
        .values_list("until", flat=True)
        .first()
    )
    if last_end is not None and since < last_end and "since" not in errors:
        errors["since"] = _(
            "The previous pairing with %(point)s ended on %(date)s; start the new one on that day or later."
        ) % {"point": point, "date": last_end.isoformat()}
    try:
        _check_liaison(branch, liaison)
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    pairing = Pairing(
        branch=branch, point=point, since=since, liaison=liaison, liaison_name=liaison.display_name if liaison else ""
    )
    try:
        with transaction.atomic():
            pairing.save(force_insert=True)
    except IntegrityError:  # paired by someone else a moment ago
        raise ValidationError({"point": _("%(point)s is already paired with the branch.") % {"point": point}}) from None
    _event(
        branch=branch,
        actor=actor,
        action=Action.PAIRING_ADDED,
        pairing=pairing.pk,
        point=point.pk,
        since=since.isoformat(),
    )
    return pairing


@transaction.atomic
def pairing_end(*, actor: User, pairing: Pairing, until: date | None = None) -> Pairing:
    """End a pairing on ``until`` (today by default). It stays in the history."""
    branch = pairing.branch
    _require_secretary(actor, branch)
    current = Pairing.objects.select_for_update().select_related("point").get(pk=pairing.pk)
    if current.until is not None:
        raise ValidationError(
            {
                "until": _("The pairing with %(point)s already ended on %(date)s.")
                % {"point": current.point, "date": current.until.isoformat()}
            }
        )
    today = timezone.localdate()
    until = until or today
    if until > today:
        raise ValidationError({"until": _("End the pairing today or on an earlier day, not in the future.")})
    if until < current.since:
        raise ValidationError(
            {
                "until": _("The pairing with %(point)s started on %(date)s; it cannot end before that.")
                % {"point": current.point, "date": current.since.isoformat()}
            }
        )
    current.until = until
    current.save(update_fields=["until"])
    _event(
        branch=branch,
        actor=actor,
        action=Action.PAIRING_ENDED,
        pairing=current.pk,
        point=current.point_id,
        until=until.isoformat(),
    )
    return current


@transaction.atomic
def pairing_set_liaison(*, actor: User, pairing: Pairing, liaison: User | None) -> Pairing:
    """Choose the member (or the secretary) who keeps in touch with the point; None
    leaves the pairing without a liaison."""
    branch = pairing.branch
    _require_secretary(actor, branch)
    current = Pairing.objects.select_for_update().select_related("point").get(pk=pairing.pk)
    if current.until is not None:
        raise ValidationError(
            {
                "liaison": _("The pairing with %(point)s has ended; its liaison is kept as it was.")
                % {"point": current.point}
            }
        )
    _check_liaison(branch, liaison)
    current.liaison = liaison
    current.liaison_name = liaison.display_name if liaison else ""
    current.save(update_fields=["liaison", "liaison_name"])
    _event(
        branch=branch,
        actor=actor,
        action=Action.LIAISON_SET,
        pairing=current.pk,
        point=current.point_id,
        liaison=liaison.pk if liaison else None,
    )
    return current


# --- activities -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityInput:
    """One activity as the form or the phone sent it."""

    kind: str
    status: str
    held_on: date
    point_ids: tuple[int, ...]
    people_reached: int = 0
    topics: tuple[str, ...] = ()
    topics_other: str = ""
    notes: str = ""


def activity_digest(*, branch_id: int, data: ActivityInput) -> str:
    payload = {
        "branch": branch_id,
        "kind": data.kind,
        "status": data.status,
        "held_on": data.held_on.isoformat(),
        "points": sorted(set(data.point_ids)),
        "people_reached": data.people_reached,
        "topics": sorted(set(data.topics)),
        "topics_other": data.topics_other.strip(),
        "notes": data.notes.strip(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _paired_on(branch: JointBranch, point_ids: Iterable[int], day: date) -> dict[int, ServicePoint]:
    """The points among ``point_ids`` the branch was paired with on ``day``."""
    pairings = (
        Pairing.objects.filter(branch=branch, point_id__in=point_ids, since__lte=day)
        .exclude(until__lt=day)
        .select_related("point")
    )
    return {p.point_id: p.point for p in pairings}


def _check_activity(branch: JointBranch, data: ActivityInput, *, check_time: bool = True) -> list[int]:
    """Validate an activity; returns its point ids. A replay was checked when it was
    stored, so it skips the checks against today's date."""
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if data.kind not in BranchActivity.Kind.values:
        errors.setdefault("kind", []).append(
            _("Choose the kind of activity: policy outreach, business guidance or a joint event.")
        )
    planned = data.status == BranchActivity.Status.PLANNED
    if data.status not in BranchActivity.Status.values:
        errors.setdefault("status", []).append(_("Say whether the activity was held or is planned."))
    elif check_time and planned and data.held_on < today:
        errors.setdefault("held_on", []).append(
            _("A planned activity is for today or later, not %(date)s. Log it as held if it took place.")
            % {"date": data.held_on.isoformat()}
        )
    elif check_time and not planned and data.held_on > today:
        errors.setdefault("held_on", []).append(
            _("%(date)s is in the future: log the activity as planned, or correct the date.")
            % {"date": data.held_on.isoformat()}
        )
    elif check_time and not planned and data.held_on < today - timedelta(days=LOG_WINDOW_DAYS):
        errors.setdefault("held_on", []).append(_("Activities more than a year old cannot be logged here."))
    point_ids = sorted(set(data.point_ids))
    if not point_ids:
        errors.setdefault("points", []).append(_("Choose at least one paired point the activity reached."))
    elif len(point_ids) > MAX_POINTS:
        errors.setdefault("points", []).append(_("An activity reaches at most %(n)d points.") % {"n": MAX_POINTS})
    else:
        known = _paired_on(branch, point_ids, data.held_on)
        unknown = [pk for pk in point_ids if pk not in known]
        if unknown:
            errors.setdefault("points", []).append(
                _("Not paired with %(branch)s on %(date)s: point %(ids)s. Choose among the branch's paired points.")
                % {"branch": branch, "date": data.held_on.isoformat(), "ids": ", ".join(map(str, unknown))}
            )
    if planned and data.people_reached:
        errors.setdefault("people_reached", []).append(
            _("A planned activity has reached nobody yet: give the number when you record it as held.")
        )
    elif not planned and data.people_reached < 1:
        errors.setdefault("people_reached", []).append(_("Say how many people the activity reached (at least 1)."))
    unknown_topics = set(data.topics) - set(ActivityTopic.values)
    if unknown_topics:
        errors.setdefault("topics", []).append(
            _("Unknown topic: %(codes)s") % {"codes": ", ".join(sorted(unknown_topics))}
        )
    elif not data.topics and not data.topics_other.strip():
        errors.setdefault("topics", []).append(
            _("Say what it was about: tick a topic or write one under other topics.")
        )
    if len(data.topics_other.strip()) > TOPICS_OTHER_MAX:
        errors.setdefault("topics_other", []).append(
            _("Other topics: at most %(n)d characters.") % {"n": TOPICS_OTHER_MAX}
        )
    if len(data.notes.strip()) > NOTES_MAX:
        errors.setdefault("notes", []).append(_("Notes: at most %(n)d characters.") % {"n": NOTES_MAX})
    if errors:
        raise ValidationError(errors)
    return point_ids


def _replayed(existing: BranchActivity, branch: JointBranch, digest: str) -> BranchActivity:
    """The replay rule of activities, for the page and the API alike: the same id with
    the same content (photos aside) is the stored activity; other content is a Conflict."""
    if existing.branch_id != branch.pk or existing.content_digest != digest:
        raise Conflict(_("A different activity was already stored under this id."), existing)
    return existing


def activity_record(
    *, actor: User, branch: JointBranch, activity_id: UUID, data: ActivityInput, uploads: Sequence[UploadedFile] = ()
) -> tuple[BranchActivity, bool]:
    """Store an activity once, with its points and photos. The same id with the same
    content again returns the stored activity (created=False); other content under the
    same id raises Conflict."""
    if not may_work_in(actor, branch):
        raise ValidationError(
            _("Only the secretary and members of %(branch)s log its activities.") % {"branch": branch}
        )
    existing = BranchActivity.objects.filter(pk=activity_id).first()
    point_ids = _check_activity(branch, data, check_time=existing is None)
    digest = activity_digest(branch_id=branch.pk, data=data)
    if existing is not None:
        return _replayed(existing, branch, digest), False
    uploads = list(uploads)
    if uploads and data.status == BranchActivity.Status.PLANNED:
        raise ValidationError({"photos": _("Add photos when you record the activity as held.")})
    photos = PhotoUploads(BranchActivityPhoto, uploads, too_many=_("An activity can have at most %(n)d photos."))
    with photos.cleanup_on_failure(), transaction.atomic():
        activity = BranchActivity(
            id=activity_id,
            branch=branch,
            kind=data.kind,
            status=data.status,
            held_on=data.held_on,
            people_reached=data.people_reached,
            topics=sorted(set(data.topics)),
            topics_other=data.topics_other.strip(),
            notes=data.notes.strip(),
            content_digest=digest,
            created_by=actor,
            held_recorded_at=timezone.now() if data.status == BranchActivity.Status.HELD else None,
        )
        try:
            with transaction.atomic():
                activity.save(force_insert=True)
        except IntegrityError:  # a concurrent send of the same activity won
            return _replayed(BranchActivity.objects.get(pk=activity_id), branch, digest), False
        BranchActivityPoint.objects.bulk_create(BranchActivityPoint(activity=activity, point_id=pk) for pk in point_ids)
        photos.attach(activity)
        _event(
            branch=branch,
            actor=actor,
            action=Action.ACTIVITY_LOGGED,
            activity=str(activity.pk),
            status=data.status,
            points=len(point_ids),
            photos=len(photos),
        )
    return activity, True


def activity_record_held(
    *,
    actor: User,
    activity: BranchActivity,
    held_on: date,
    people_reached: int,
    notes: str = "",
    uploads: Sequence[UploadedFile] = (),
) -> BranchActivity:
    """Record that a planned activity took place: on which day, how many people it
    reached, what happened, and its photos."""
    branch = activity.branch
    if not may_work_in(actor, branch):
        raise ValidationError(
            _("Only the secretary and members of %(branch)s log its activities.") % {"branch": branch}
        )
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if held_on is None or held_on > today:
        errors["held_on"] = _("Give the day it was held: today or earlier.")
    elif held_on < today - timedelta(days=LOG_WINDOW_DAYS):
        errors["held_on"] = _("Activities more than a year old cannot be logged here.")
    if people_reached is None or people_reached < 1:
        errors["people_reached"] = _("Say how many people the activity reached (at least 1).")
    if len((notes or "").strip()) > NOTES_MAX:
        errors["notes"] = _("Notes: at most %(n)d characters.") % {"n": NOTES_MAX}
    if errors:
        raise ValidationError(errors)
    photos = PhotoUploads(BranchActivityPhoto, uploads, too_many=_("An activity can have at most %(n)d photos."))
    with photos.cleanup_on_failure(), transaction.atomic():
        current = BranchActivity.objects.select_for_update().get(pk=activity.pk)
        if current.status != BranchActivity.Status.PLANNED:
            raise ValidationError(
                _("This activity is already recorded as held, on %(date)s.") % {"date": current.held_on.isoformat()}
            )
        point_ids = list(current.point_links.values_list("point_id", flat=True))
        paired = _paired_on(branch, point_ids, held_on)
        unpaired = [pk for pk in point_ids if pk not in paired]
        if unpaired:
            raise ValidationError(
                {
                    "held_on": _("On %(date)s the branch was not paired with point %(ids)s. Check the date.")
                    % {"date": held_on.isoformat(), "ids": ", ".join(map(str, unpaired))}
                }
            )
        current.status, current.held_on = BranchActivity.Status.HELD, held_on
        current.people_reached = people_reached
        if (notes or "").strip():
            current.notes = "\n\n".join(part for part in (current.notes, notes.strip()) if part)
        current.held_recorded_at = timezone.now()
        current.save(update_fields=["status", "held_on", "people_reached", "notes", "held_recorded_at"])
        photos.attach(current)
        _event(branch=branch, actor=actor, action=Action.ACTIVITY_HELD, activity=str(current.pk), photos=len(photos))
    return current
