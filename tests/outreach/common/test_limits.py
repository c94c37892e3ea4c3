"""Field lengths come from the models: every door (form, API schema, roster import) and
what the README and the roster template tell people say the model's number."""

import re
from pathlib import Path

from django.utils import translation

from outreach.branches import services as branch_services
from outreach.common.limits import max_length
from outreach.complaints.forms import ComplaintForm
from outreach.errands.orders import services as order_services
from outreach.models import BranchActivity, Complaint, OnlineOrder, Resident, Visit, VisitCorrection
from outreach.residents.api import VisitIn
from outreach.residents.forms import ResidentForm, VisitCorrectionForm, VisitForm
from outreach.residents.roster import services as roster

README = Path(__file__).resolve().parents[3] / "README.md"
RESIDENT_TEXT = ("name", "address", "phone", "guardian_name", "guardian_phone", "guardian_relation")


def test_every_door_reads_the_resident_lengths_off_the_model():
    for name in RESIDENT_TEXT:
        assert ResidentForm.base_fields[name].max_length == Resident._meta.get_field(name).max_length
        assert roster.MAX_LENGTHS[name] == max_length(Resident, name)
    assert VisitForm.base_fields["no_location_reason"].max_length == max_length(Visit, "no_location_reason")
    assert VisitIn.model_json_schema()["properties"]["no_location_reason"]["maxLength"] == max_length(
        Visit, "no_location_reason"
    )
    assert VisitCorrectionForm.base_fields["reason"].max_length == max_length(VisitCorrection, "reason")


def test_orders_complaints_and_activities_read_theirs_off_the_model():
    assert (
        max_length(OnlineOrder, "name"),
        max_length(OnlineOrder, "description"),
        max_length(OnlineOrder, "handled_note"),
    ) == (order_services.NAME_MAX, order_services.DESCRIPTION_MAX, order_services.NOTE_MAX)
    for name in ("name", "phone"):
        assert ComplaintForm.base_fields[name].max_length == max_length(Complaint, name)
    assert max_length(BranchActivity, "topics_other") == branch_services.TOPICS_OTHER_MAX


def test_the_readme_and_the_roster_template_say_the_models_lengths():
    readme = README.read_text(encoding="utf-8")
    for name in ("name", "address", "guardian_name", "guardian_relation"):
        row = re.search(rf"^\| \S+ \| `{name}` \|.*$", readme, re.MULTILINE)[0]
        assert f"up to {max_length(Resident, name)} characters" in row, row
    assert re.search(rf"`phone` \|.*up to {max_length(Resident, 'phone')} \|", readme)
    for name in RESIDENT_TEXT:
        with translation.override("en"):
            help_text = str(roster.COLUMNS_BY_FIELD[name].help)
        assert f"at most {max_length(Resident, name)} characters" in help_text.lower(), help_text
        with translation.override("zh-hans"):
            help_text = str(roster.COLUMNS_BY_FIELD[name].help)
        assert f"最多 {max_length(Resident, name)} 个字" in help_text, help_text
