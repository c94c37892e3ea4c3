"""Replacing the national-ID key: with ``DAIBAN_FIELD_KEY=new,old`` everything stored
under the old key still reads and still counts as a duplicate; ``rotate_field_key``
re-encrypts every ID (and staged roster file) under the new key in batches, resumes
after an interruption, never overwrites an ID changed meanwhile, and ends with the old
key no longer needed. The interrupted run commits its batches for real (a transactional
test), on SQLite and on PostgreSQL alike."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from demo.territory import seed_territory
from grid.models import User
from outreach.common import crypto
from outreach.models import Resident, RosterImport
from outreach.privacy import services as privacy
from outreach.residents import services as resident_services
from outreach.residents.roster import services as roster
from tests import factories

OLD, NEW = "old-field-key-0123456789", "new-field-key-9876543210"


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_field_key", *args, stdout=out)
    return out.getvalue()


def register(admin: User, count: int) -> list[tuple[Resident, str]]:
    made = []
    for n in range(count):
        number = factories.national_id()
        made.append((factories.resident(actor=admin, name=f"居民{n}", national_id=number), number))
    return made


def stored(resident: Resident) -> Resident:
    return Resident.objects.get(pk=resident.pk)


def assert_refused_as_duplicate(admin: User, number: str) -> None:
    with pytest.raises(ValidationError) as refused:
        factories.resident(actor=admin, name="重复登记", national_id=number)
    assert "national_id" in refused.value.message_dict


@pytest.mark.django_db
def test_old_ids_read_and_count_as_duplicates_until_rotated(demo_users, settings):
    admin = demo_users["admin"]
    settings.DAIBAN_FIELD_KEY = OLD
    (old_resident, old_number), *_ = register(admin, 2)
    staged = RosterImport.objects.create(
        uploaded_by=demo_users["station"], filename="花名册.csv", content=roster._seal("姓名\n张三\n".encode())
    )

    settings.DAIBAN_FIELD_KEY = f"{NEW}, {OLD}"
    new_resident, new_number = register(admin, 1)[0]
    assert crypto.is_current(stored(new_resident).national_id_cipher)
    assert not crypto.is_current(stored(old_resident).national_id_cipher)
    assert resident_services.resident_reveal_national_id(actor=admin, resident=stored(old_resident)) == old_number
    assert_refused_as_duplicate(admin, old_number)  # found under the old key's digest
    assert_refused_as_duplicate(admin, new_number)
    sheet = f"姓名,身份证号,住址,网格编码,照护等级,同意依据\n王五,{old_number},某路1号,{factories.grid().code},A,本人书面同意\n"
    check = roster.roster_check(user=admin, data=sheet.encode(), filename="花名册.csv")
    assert any("已登记" in issue.message for d in check.drafts for issue in d.errors)

    out = rotate()
    assert "2 national IDs re-encrypted, 1 already under the new key" in out and "1 staged roster files" in out
    assert "the old keys can be removed" in out

    settings.DAIBAN_FIELD_KEY = NEW  # the old key is gone: everything still reads
    for resident, number in [(old_resident, old_number), (new_resident, new_number)]:
        row = stored(resident)
        assert crypto.decrypt(row.national_id_cipher) == number
        assert row.national_id_digest == crypto.digest(number)
        assert_refused_as_duplicate(admin, number)
    assert roster.staged_file(RosterImport.objects.get(pk=staged.pk)) == "姓名\n张三\n".encode()
    assert "0 national IDs re-encrypted, 3 already" in rotate()


@pytest.mark.django_db
def test_an_id_changed_during_the_rotation_is_not_overwritten(demo_users, settings, monkeypatch):
    admin = demo_users["admin"]
    settings.DAIBAN_FIELD_KEY = OLD
    (resident, _old_number), *_ = register(admin, 1)
    settings.DAIBAN_FIELD_KEY = f"{NEW},{OLD}"
    replacement = factories.national_id(male=False)
    real_decrypt = crypto.decrypt

    def someone_edits_first(token: str) -> str:
        # Between the rotation reading the row and writing it, a user changes the ID.
        current = stored(resident)
        resident_services.resident_update(
            actor=admin, resident=current, expected_version=current.version, national_id=replacement
        )
        return real_decrypt(token)

    monkeypatch.setattr(crypto, "decrypt", someone_edits_first)
    done = privacy.field_key_rotate()
    monkeypatch.setattr(crypto, "decrypt", real_decrypt)
    assert (done.rotated, done.changed_meanwhile, done.remaining) == (0, 1, [])
    assert crypto.decrypt(stored(resident).national_id_cipher) == replacement


@pytest.mark.django_db
def test_an_id_no_key_reads_is_reported(demo_users, settings):
    settings.DAIBAN_FIELD_KEY = OLD
    (resident, _number), *_ = register(demo_users["admin"], 1)
    settings.DAIBAN_FIELD_KEY = NEW  # the old key dropped too early
    with pytest.raises(CommandError, match=f"resident ids {resident.pk}"):
        rotate()
    assert stored(resident).national_id_cipher  # left as it was, for when the key is back


@pytest.mark.django_db(transaction=True)
def test_a_rotation_interrupted_midway_carries_on(settings):
    seed_territory()  # a transactional test starts from a flushed database
    admin = User.objects.get(username="admin")
    settings.DAIBAN_FIELD_KEY = OLD
    made = register(admin, 7)
    settings.DAIBAN_FIELD_KEY = f"{NEW},{OLD}"

    def power_cut(progress: privacy.Rotation) -> None:
        if progress.batches == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        privacy.field_key_rotate(batch_size=3, on_batch=power_cut)
    current = [crypto.is_current(stored(r).national_id_cipher) for r, _ in made]
    assert current == [True] * 6 + [False]  # two batches committed, the third never started

    # Meanwhile the app works on: every ID reads, every ID is still a duplicate.
    for resident, number in made:
        assert resident_services.resident_reveal_national_id(actor=admin, resident=stored(resident)) == number
    assert_refused_as_duplicate(admin, made[0][1])
    assert_refused_as_duplicate(admin, made[-1][1])
    with pytest.raises(CommandError, match="run rotate_field_key again"):
        rotate("--check")

    out = rotate("--batch", "3")
    assert "1 national IDs re-encrypted, 6 already under the new key" in out
    assert "Every national ID is under the new key" in rotate("--check")
    settings.DAIBAN_FIELD_KEY = NEW
    assert [crypto.decrypt(stored(r).national_id_cipher) for r, _ in made] == [n for _, n in made]
