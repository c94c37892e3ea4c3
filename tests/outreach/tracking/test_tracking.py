"""The resident's side (我的代办进度): every errand and online order carries a progress
code; the public progress page shows the errand in plain words to whoever has the code
and the last four digits of a phone on record, masks the name and shows nothing else of
the resident; guessing is bounded per code and per address and every try is kept; after
delivery the resident rates it once; the staff print a slip through the errand's door."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grid.models import ServicePoint, User
from outreach.errands import services as errand_services
from outreach.errands.orders import services as order_services
from outreach.models import Errand, OnlineOrder, ProgressLookup, Resident, ServiceType
from outreach.tracking import codes, services
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

CARD = "SB-BH"  # 社会保障卡补换: a grid point handles it
PENSION = "GJJ-TQ"  # 公积金提取: a community station; three papers on its checklist
PHONE = "13857901234"
GUARDIAN_PHONE = "0579-8521 6677"
CODE_SHAPE = re.compile(r"^[2-9A-HJ-NP-Z]{10}$")


@pytest.fixture
def worker(demo_users) -> User:
    return demo_users["worker"]


@pytest.fixture
def resident(worker) -> Resident:
    return factories.resident(
        actor=worker, name="张桂英", phone=PHONE, guardian_name="李明", guardian_phone=GUARDIAN_PHONE
    )


def look_up(client: Client, code: str, digits: str, address: str = "10.9.0.1"):
    return client.post(reverse("track"), {"code": code, "phone_digits": digits}, REMOTE_ADDR=address)


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# --- codes -------------------------------------------------------------------------------


def test_every_errand_gets_its_own_code_of_ten_unmistakable_characters(worker, resident):
    made = [factories.errand(actor=worker, resident=resident, code=CARD) for _ in range(20)]
    found = [e.progress_code for e in made]
    assert all(CODE_SHAPE.match(code) for code in found)
    assert len(set(found)) == 20
    assert codes.shown("ABCDE23456") == "ABCDE-23456"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("abcde-23456", "ABCDE23456"), (" ABCDE 23456 ", "ABCDE23456"), ("abcde—23456", "ABCDE23456")],
)
def test_a_code_is_read_as_people_type_it(typed, stored):
    assert codes.normalize(typed) == stored and codes.is_well_formed(stored)


def test_names_are_masked_to_their_first_and_last_character():
    assert [services.mask_name(n) for n in ("张桂英", "王丽", "欧阳娜娜", "李")] == ["张*英", "王*", "欧**娜", "李"]


# --- the progress page ---------------------------------------------------------------------


def test_the_page_asks_for_the_code_and_the_phone_and_fills_in_a_code_from_the_slip(client):
    response = client.get(reverse("track") + "?c=abcde23456")
    html = response.content.decode()
    assert response.status_code == 200 and not response.cookies
    assert 'value="ABCDE-23456"' in html and 'name="phone_digits"' in html and 'inputmode="numeric"' in html
    assert "mainnav" not in html


def test_the_errand_in_plain_words_with_the_name_masked_and_nothing_else_of_the_resident(
    client, worker, resident, django_assert_num_queries
):
    errand = factories.errand(actor=worker, resident=resident, code=PENSION)  # held by the community station
    with django_assert_num_queries(5):  # the two limit counts, the errand, the log row, its trips saved
        response = look_up(client, codes.shown(errand.progress_code).lower(), PHONE[-4:])
    text = page_text(response)
    assert response.status_code == 200
    assert "公积金" in text and "张*英" in text and "已受理" in text
    assert "身份证原件" in text and "退休证明" in text  # the papers still needed
    station = ServicePoint.objects.get(pk=errand.holder_point_id)
    assert station.name in text and f'href="tel:{station.phone}"' in response.content.decode()
    assert errand.due_on.isoformat() in text
    for secret in ("张桂英", resident.address, PHONE, "李明", errand.number, worker.display_name):
        assert secret not in text, secret
    lookup = ProgressLookup.objects.get()
    assert (lookup.found, lookup.errand_id, lookup.address, lookup.code) == (
        True,
        errand.pk,
        "10.9.0.1",
        errand.progress_code,
    )


def test_the_family_contacts_phone_opens_it_too_typed_in_full_width_digits(client, worker, resident):
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    assert look_up(client, errand.progress_code, "６６７７").status_code == 200


def test_a_wrong_phone_and_a_wrong_code_get_the_same_answer(client, worker, resident):
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    wrong_phone = look_up(client, errand.progress_code, "0000")
    wrong_code = look_up(client, codes.new_code(), PHONE[-4:])
    assert wrong_phone.status_code == wrong_code.status_code == 404
    assert "没有找到" in page_text(wrong_phone)
    assert page_text(wrong_phone).replace(codes.shown(errand.progress_code), "") == page_text(wrong_code).replace(
        codes.shown(codes.normalize(wrong_code.wsgi_request.POST["code"])), ""
    )
    assert "张" not in page_text(wrong_phone)
    assert list(ProgressLookup.objects.values_list("found", flat=True)) == [False, False]


@pytest.mark.parametrize(
    ("code", "digits", "message"),
    [("ABCDE", "1234", "进度码由10位"), ("ABCDE-2345O", "1234", "进度码由10位"), ("ABCDE23456", "12a4", "四位数字")],
)
def test_malformed_input_is_refused_with_a_clear_message_and_nothing_looked_up(client, code, digits, message):
    response = look_up(client, code, digits)
    assert response.status_code == 400 and message in page_text(response)
    assert not ProgressLookup.objects.exists()


def test_guessing_one_code_stops_after_five_wrong_tries_in_an_hour(client, worker, resident):
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    for n in range(services.TRIES_PER_CODE):
        assert look_up(client, errand.progress_code, f"{n:04d}", address=f"10.9.1.{n}").status_code == 404
    refused = look_up(client, errand.progress_code, PHONE[-4:], address="10.9.2.1")  # even the right phone
    assert refused.status_code == 429 and "尝试次数过多" in page_text(refused)
    assert "公积金" not in page_text(refused) and "张*英" not in page_text(refused)
    assert ProgressLookup.objects.filter(refused=True).count() == 1
    # an hour later the resident gets in
    ProgressLookup.objects.update(at=timezone.now() - services.WINDOW - timedelta(seconds=1))
    assert look_up(client, errand.progress_code, PHONE[-4:], address="10.9.2.1").status_code == 200


def test_one_address_trying_many_codes_is_stopped(client):
    for _ in range(services.TRIES_PER_ADDRESS):
        assert look_up(client, codes.new_code(), "1234", address="10.9.3.3").status_code == 404
    assert look_up(client, codes.new_code(), "1234", address="10.9.3.3").status_code == 429
    assert look_up(client, codes.new_code(), "1234", address="10.9.3.4").status_code == 404  # others still may


def test_steps_follow_the_errand_and_a_cancelled_one_gives_no_reason(client, worker, resident):
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    errand = factories.errand_walk(errand=errand, actor=worker, actions=["accept", "start"])
    html = look_up(client, errand.progress_code, PHONE[-4:]).content.decode()
    assert re.search(r'<li class=" current" aria-current="step">办理中</li>', html) or re.search(
        r'<li class="done current" aria-current="step">办理中</li>', html
    )
    errand = factories.errand_act(errand=errand, action="cancel", actor=worker, reason="重复登记，内部原因")
    text = page_text(look_up(client, errand.progress_code, PHONE[-4:]))
    assert "已取消" in text and "重复登记" not in text


def test_after_delivery_the_trips_saved_and_one_rating_of_the_residents_own(client, demo_users, worker, resident):
    station = demo_users["station"]  # the community station holds a pension withdrawal
    errand = factories.errand(actor=worker, resident=resident, code=PENSION)
    errand = Errand.objects.get(pk=errand.pk)
    errand.materials_collected = list(errand.service.materials)
    errand.save(update_fields=["materials_collected"])
    errand = factories.errand_walk(errand=errand, actor=station, actions=["accept", "start", "complete"])
    errand = errand_services.errand_deliver(
        actor=station, errand=errand, expected_version=errand.version, via="in_person", satisfaction=3
    )
    response = look_up(client, errand.progress_code, PHONE[-4:])
    text = page_text(response)
    assert "本次为您少跑 2 次" in text and "已送到家" in text
    token = re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)
    rated = client.post(reverse("track-rate"), {"token": token, "rating": "5"})
    assert rated.status_code == 200 and "谢谢您的评价" in page_text(rated)
    row = Errand.objects.get(pk=errand.pk)
    assert (row.resident_rating, row.satisfaction) == (5, 3)  # the worker's 3 stays the worker's
    again = client.post(reverse("track-rate"), {"token": token, "rating": "1"})
    assert again.status_code == 400 and "已经评价过" in page_text(again)
    assert Errand.objects.get(pk=errand.pk).resident_rating == 5
    assert 'name="token"' not in look_up(client, errand.progress_code, PHONE[-4:]).content.decode()


def test_a_rating_needs_a_token_from_a_matching_lookup(client, worker, resident):
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    forged = client.post(reverse("track-rate"), {"token": str(errand.pk), "rating": "1"})
    assert forged.status_code == 400
    not_delivered = client.post(reverse("track-rate"), {"token": services.rating_token(errand), "rating": "1"})
    assert not_delivered.status_code == 400 and "送到家后" in page_text(not_delivered)
    assert Errand.objects.get(pk=errand.pk).resident_rating is None


# --- online orders ----------------------------------------------------------------------------


def test_an_order_is_followed_by_the_code_of_its_thank_you_page_and_keeps_it_as_an_errand(client, worker, resident):
    point = ServicePoint.objects.get(name="绣湖社区第1网格代办点")
    address = "10.9.4.4"
    sent = client.post(
        reverse("order-form", args=[point.public_code]),
        {
            "name": "王秀英",
            "phone": "139 0000 4321",
            "service": ServiceType.objects.get(code=CARD).pk,
            "description": "",
            "website": "",
            "form_token": order_services.order_form_token(point=point, address=address),
        },
        REMOTE_ADDR=address,
    )
    order = OnlineOrder.objects.get()
    thanks = client.get(sent.url)
    assert codes.shown(order.progress_code) in page_text(thanks)
    assert f"/track/?c={order.progress_code}" in thanks.content.decode()
    text = page_text(look_up(client, order.progress_code, "4321"))
    assert "王*英" in text and "一个工作日内" in text and point.name in text

    errand = order_services.order_confirm(
        actor=worker, order=order, resident=resident, service=ServiceType.objects.get(code=CARD)
    )
    assert errand.progress_code == order.progress_code
    text = page_text(look_up(client, order.progress_code, "4321"))  # the phone the order came from
    assert "张*英" in text and "社会保障卡" in text


def test_the_thank_you_page_shows_a_code_only_to_its_sender(client):
    point = ServicePoint.objects.get(name="绣湖社区第1网格代办点")
    plain = client.get(reverse("order-thanks", args=[point.public_code]))
    forged = client.get(reverse("order-thanks", args=[point.public_code]) + "?o=ABCDE23456")
    assert plain.content == forged.content and "进度码" not in page_text(plain)


# --- the staff's slip -----------------------------------------------------------------------


def test_the_errand_page_shows_the_code_and_its_slip_prints_it_with_a_qr(
    client_for, worker, resident, django_assert_num_queries
):
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    client = client_for("worker")
    page = client.get(reverse("errand-detail", args=[errand.pk]))
    assert codes.shown(errand.progress_code) in page.content.decode()
    with django_assert_num_queries(5):  # the login, the errand through its door, its trips saved
        slip = client.get(reverse("errand-progress-slip", args=[errand.pk]))
    html = slip.content.decode()
    assert slip.status_code == 200 and codes.shown(errand.progress_code) in html
    assert "<svg" in html and f"/track/?c={errand.progress_code}" in html and "张*英" not in html


def test_a_slip_out_of_reach_is_404(client_for, worker, resident):
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    assert client_for("worker2").get(reverse("errand-progress-slip", args=[errand.pk])).status_code == 404


def test_the_api_gives_the_code_to_whoever_may_see_the_errand(client_for, worker, resident):
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    data = client_for("worker").get(f"/api/v1/errands/{errand.pk}").json()
    assert (data["progress_code"], data["resident_rating"]) == (errand.progress_code, None)
    assert client_for("worker2").get(f"/api/v1/errands/{errand.pk}").status_code == 404
