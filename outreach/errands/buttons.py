"""The next steps of errands as buttons, for the errand page, the board and the phone's
kept Today alike: which steps this user may take (services.actions_for), what each button
says — 上报 names where it sends the errand — and the words a step needs from the user."""

from typing import TYPE_CHECKING
from uuid import UUID

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grid.models import User
from outreach.errands.chain import escalation_destinations
from outreach.errands.services import WORDS_MAX_LENGTH, actions_for, materials_missing
from outreach.models import Errand, ErrandEvent

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

Action = ErrandEvent.Action

# What each next action is called, and the field and question of the words it needs.
_BUTTONS: dict[str, tuple["StrPromise", str | None, "StrPromise | None"]] = {
    Action.ACCEPT: (gettext_lazy("Accept"), None, None),
    Action.START: (gettext_lazy("Start handling"), None, None),
    Action.RESUME: (gettext_lazy("Materials are in: resume"), None, None),
    Action.COMPLETE: (gettext_lazy("Done at the office"), None, None),
    Action.RETURN: (gettext_lazy("Missing materials"), "note", gettext_lazy("Which materials are missing?")),
    Action.ESCALATE: (gettext_lazy("Escalate one tier up"), "note", gettext_lazy("Why can it not be handled here?")),
    Action.CANCEL: (gettext_lazy("Cancel the errand"), "reason", gettext_lazy("Why is it cancelled?")),
    Action.DELIVER: (gettext_lazy("Deliver the result"), None, None),  # a page of its own, not a button's form
}


def errand_buttons(*, user: User, errands: list[Errand]) -> dict[UUID, list[dict]]:
    """Each errand's buttons for this user: action, label, field (or ""), prompt, the
    field's maxlength, and ``problem`` when the step cannot be taken (no point above).
    Two queries for all the errands' escalation destinations, none otherwise."""
    actions = {errand.pk: actions_for(user, errand) for errand in errands}
    destinations = escalation_destinations(
        user=user, errands=[errand for errand in errands if Action.ESCALATE in actions[errand.pk]]
    )
    buttons: dict[UUID, list[dict]] = {}
    for errand in errands:
        rows = []
        for action in actions[errand.pk]:
            words, field, question = _BUTTONS[action]
            label, prompt = str(words), str(question or "")
            problem = ""
            if action == Action.ESCALATE:
                destination = destinations[errand.pk]
                problem = destination.problem
                if not problem:
                    label = _("Escalate to %(destination)s") % {"destination": destination}
            if action == Action.COMPLETE and (missing := materials_missing(errand)):
                field = "note"
                prompt = _("Materials incomplete (%(missing)s): why is it done without them?") % {
                    "missing": "、".join(missing)
                }
            rows.append(
                {
                    "action": str(action),
                    "label": label,
                    "field": field or "",
                    "prompt": prompt,
                    "max_length": WORDS_MAX_LENGTH.get(field or ""),
                    "problem": problem,
                }
            )
        buttons[errand.pk] = rows
    return buttons
