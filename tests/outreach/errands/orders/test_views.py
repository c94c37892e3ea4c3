"""Online orders (线上点单) through the front door: the public form behind a point's QR
code (validation, limits, nothing leaked, no login, no CSRF trouble), the QR poster, the
staff's scoped list and order page with fixed query counts, confirming into exactly one
errand and rejecting, and the demo's deterministic public codes."""

import itertools
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from demo.territory import demo_public_code
from grid.models import Area, ServicePoint
from outreach.common.errors import Conflict
from outreach.errands.orders import services as order_services
from outreach.models import Errand, Notification, OnlineOrder, Resident, ServiceType
from outreach.tracking import codes
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

GRID1_POINT = "绣湖社区第1网格代办点"  # worker is its agent
GRID2_POINT = "绣湖社区第2网格代办点"  # worker2's
STATION = "绣湖社区代办站"  # station's
ALLOWANCE = "MZ-GL"  # 高龄津贴申领: a grid point can handle it
_addresses = (f"10.1.{n // 250}.{n % 250 + 1}" for n in itertools.count())


def point(name: str = GRID1_POINT) -> ServicePoint:
    return ServicePoint.objects.get(name=name)


def far_point() -> ServicePoint:
    """A grid point in another town: nobody of the demo but the city admin looks after it."""
    return (
        ServicePoint.objects.filter(tier=ServicePoint.Tier.GRID_POINT)
        .exclude(area__path__startswith=point(STATION).area.parent.path)
        .order_by("area__code")
        .first()
    )


def form_url(p: ServicePoint) -> str:
    return reverse("order-form", args=[p.public_code])


def send(client, p: ServicePoint, *, address: str = "127.0.0.1", token: str | None = None, **overrides):
    """Post the form of ``p`` as a visitor at ``address`` who opened its page: with the
    page's token (or ``token``)."""
    data = order_data(**overrides)
    data["form_token"] = order_services.order_form_token(point=p, address=address) if token is None else token
    return client.post(form_url(p), data, REMOTE_ADDR=address)


def order_data(**overrides) -> dict:
    data = {
        "name": "王秀英",
        "phone": "138 0013 8000",
        "service": ServiceType.objects.get(code=ALLOWANCE).pk,
        "description": "我妈妈82岁，想申请高龄津贴。",
        "website": "",
    }
    data.update(overrides)
    return data


def place(
    p: ServicePoint,
    *,
    name: str = "陈阿姨",
    phone: str = "13900001111",
    code: str | None = ALLOWANCE,
    description: str = "",
    address: str | None = None,
) -> OnlineOrder:
    address = address or next(_addresses)
    return order_services.order_submit(
        point=p,
        form_token=order_services.order_form_token(point=p, address=address),
        name=name,
        phone=phone,
        description=description or "需要代办",
        service=ServiceType.objects.get(code=code) if code else None,
        address=address,
    )


# --- the public form -------------------------------------------------------------------


def test_form_is_public_small_and_without_the_apps_navigation(client):
    response = client.get(form_url(point()))
    html = response.content.decode()
    assert response.status_code == 200
    assert "mainnav" not in html and "htmx" not in html
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/daiban/public.js" defer>']  # the 大字 switch
    assert 'name="website"' in html and GRID1_POINT in html  # the honeypot, the point's own name
    assert not response.cookies  # no session, no CSRF cookie: nothing is kept about the visitor


def test_form_query_count_is_fixed(client, demo_users, django_assert_num_queries):
    url = form_url(point())
    # the point, the catalogue
    with django_assert_num_queries(2):
        client.get(url)
    for i in range(5):
        place(point(), phone=f"1390000{i:04d}")
    with django_assert_num_queries(2):
        client.get(url)


def test_valid_order_lands_pending_at_its_point_and_tells_its_staff(demo_users):
    client = Client(enforce_csrf_checks=True)  # as a phone that never loaded the form would post
    response = send(client, point(), phone="+86 138-0013-8000", address="10.0.0.7")
    order = OnlineOrder.objects.get()
    thanks = reverse("order-thanks", args=[point().public_code])
    assert (
        response.status_code == 302
        and response.url == f"{thanks}?{urlencode({'o': order_services.thanks_token(order)})}"
    )
    assert (order.point, order.status, order.name, order.phone, order.address) == (
        point(),
        OnlineOrder.Status.PENDING,
        "王秀英",
        "13800138000",
        "10.0.0.7",
    )
    assert order.service.code == ALLOWANCE and order.errand is None
    notices = Notification.objects.filter(order=order, kind=Notification.Kind.ORDER)
    notified = set(notices.values_list("user__username", flat=True))
    assert notified == {"worker"}  # the grid's worker, agent of the point; not worker2, not the station


def test_an_order_at_the_station_tells_the_station(client, demo_users):
    send(client, point(STATION))
    order = OnlineOrder.objects.get()
    assert order.point == point(STATION)
    assert set(Notification.objects.filter(order=order).values_list("user__username", flat=True)) == {"station"}


def test_other_with_a_description_and_a_landline_are_accepted(client):
    response = send(client, point(), service="other", phone="0579 8512 3456", description="帮我父亲办理电动车上牌")
    assert response.status_code == 302
    order = OnlineOrder.objects.get()
    assert order.service is None and order.phone == "0579-85123456"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "王" * 51}, "name"),
        ({"phone": ""}, "phone"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "12800138000"}, "phone"),  # 12x is no mainland mobile prefix
        ({"phone": "138001380001"}, "phone"),
        ({"service": ""}, "service"),
        ({"service": "999999"}, "service"),
        ({"service": "other", "description": ""}, "description"),
        ({"description": "字" * 301}, "description"),
    ],
)
def test_bad_orders_are_refused_field_by_field(client, overrides, field):
    response = send(client, point(), **overrides)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert f'id="field-{field}"' in response.content.decode()
    assert not OnlineOrder.objects.exists() and not Notification.objects.exists()


def test_every_mistake_shows_at_once(client):
    response = send(client, point(), name="", phone="12345", service="other", description="")
    assert set(response.context["form"].errors) == {"name", "phone", "description"}
    assert not OnlineOrder.objects.exists()


def test_a_service_no_longer_offered_is_refused(client):
    service = ServiceType.objects.get(code=ALLOWANCE)
    service.is_active = False
    service.save(update_fields=["is_active"])
    response = send(client, point(), service=service.pk)
    assert list(response.context["form"].errors) == ["service"] and not OnlineOrder.objects.exists()


# --- the form's token: a page elsewhere cannot post from its visitors' browsers ----------

TOKEN_INPUT = re.compile(r'<input type="hidden" name="form_token" value="([^"]+)">')


def test_the_page_carries_a_token_and_sending_it_back_stores_the_order(client):
    page = client.get(form_url(point()))
    token = TOKEN_INPUT.search(page.content.decode()).group(1)
    assert not page.cookies
    response = client.post(form_url(point()), {**order_data(), "form_token": token})
    assert response.status_code == 302 and OnlineOrder.objects.count() == 1


@pytest.mark.parametrize(
    "token",
    [
        "",  # a page elsewhere posting the form's fields
        "forged:token",
        order_services.order_form_token.__name__,  # any text
    ],
)
def test_a_post_without_the_pages_token_stores_nothing(client, token):
    response = send(client, point(), token=token)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and "王秀英" in html  # what was typed is kept, to send again
    assert TOKEN_INPUT.search(html)  # with a fresh token
    assert not OnlineOrder.objects.exists() and not Notification.objects.exists()


def test_a_token_is_for_its_point_its_visitor_and_its_time(client, settings):
    # fetched by a server elsewhere and handed to its visitors: another address
    assert (
        send(client, point(), token=order_services.order_form_token(point=point(), address="192.0.2.1")).status_code
        == 400
    )
    # the page of another point
    assert (
        send(
            client, point(), token=order_services.order_form_token(point=point(STATION), address="127.0.0.1")
        ).status_code
        == 400
    )
    settings.DAIBAN_ORDER_FORM_SECONDS = -1  # every token is past its time
    response = send(client, point())
    assert response.status_code == 400 and not OnlineOrder.objects.exists()


def test_a_page_is_good_for_one_order(client):
    token = order_services.order_form_token(point=point(), address="127.0.0.1")
    assert send(client, point(), token=token).status_code == 302
    again = send(client, point(), token=token, phone="13900139000")
    assert again.status_code == 400 and "已收到" in again.content.decode()
    assert OnlineOrder.objects.count() == 1


def test_behind_a_trusted_proxy_the_visitors_address_is_recorded_and_limited(client, settings):
    settings.DAIBAN_TRUSTED_PROXIES = ("10.9.0.0/16",)
    settings.DAIBAN_ORDER_LIMIT_PER_ADDRESS_PER_HOUR = 1

    def through(peer: str, forwarded: str, phone: str):
        data = {
            **order_data(phone=phone),
            "form_token": order_services.order_form_token(point=point(), address=forwarded),
        }
        return client.post(form_url(point()), data, REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)

    assert through("10.9.0.1", "198.51.100.7", "13900000001").status_code == 302
    assert OnlineOrder.objects.get().address == "198.51.100.7"
    assert through("10.9.0.1", "198.51.100.7", "13900000002").status_code == 429  # that visitor's hour is used
    assert through("10.9.0.1", "198.51.100.8", "13900000003").status_code == 302  # not everyone behind the proxy
    # Straight from a visitor, a made-up header is ignored: the token was for the header's address.
    spoofed = through("203.0.113.9", "198.51.100.9", "13900000004")
    assert spoofed.status_code == 400 and not OnlineOrder.objects.filter(address="198.51.100.9").exists()


def test_limit_per_phone_and_address_per_day(client, settings):
    limit = settings.DAIBAN_ORDER_LIMIT_PER_PHONE_PER_DAY
    old = place(point(), phone="13800138000", address="10.0.0.1")
    OnlineOrder.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))  # a day ago: free
    for i in range(limit):
        # any point, any spelling of the number, from one network: one phone
        target = point(STATION) if i % 2 else point()
        response = send(client, target, phone="138 0013 8000" if i % 2 else "13800138000", address="10.0.0.1")
        assert response.status_code == 302
    response = send(client, point(), address="10.0.0.1")
    assert response.status_code == 429
    assert response.context["limited"] and response.context["point"] == point()
    html = response.content.decode()
    assert 'role="alert"' in html and "24" in html and "此网络" in html  # the page says which limit, in Chinese
    assert OnlineOrder.objects.filter(phone="13800138000").count() == limit + 1  # nothing stored beyond the limit
    assert send(client, point(), phone="13900139000", address="10.0.0.1").status_code == 302


def test_a_stranger_cannot_lock_a_resident_out(client, settings):
    """Someone who sends a resident's number from elsewhere uses up their own network's
    requests for that number, not the resident's."""
    for _ in range(settings.DAIBAN_ORDER_LIMIT_PER_PHONE_PER_DAY):
        assert send(client, point(), phone="13800138000", address="203.0.113.66").status_code == 302
    assert send(client, point(), phone="13800138000", address="203.0.113.66").status_code == 429
    assert send(client, point(), phone="13800138000", address="198.51.100.20").status_code == 302


def test_limit_per_point_per_hour(client, settings):
    settings.DAIBAN_ORDER_LIMIT_PER_POINT_PER_HOUR = 3
    old = place(point())
    OnlineOrder.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=61))
    for i in range(3):
        assert send(client, point(), phone=f"1390000000{i}", address=f"10.0.1.{i}").status_code == 302
    response = send(client, point(), phone="13900000009", address="10.0.2.1")
    assert response.status_code == 429
    html = response.content.decode()
    assert 'role="alert"' in html and GRID1_POINT in html and "一小时" in html
    assert not OnlineOrder.objects.filter(phone="13900000009").exists()
    assert send(client, point(STATION), phone="13900000009", address="10.0.2.1").status_code == 302


def test_limit_per_address_per_hour(client, settings):
    settings.DAIBAN_ORDER_LIMIT_PER_ADDRESS_PER_HOUR = 3
    old = place(point(), address="10.0.0.1")
    OnlineOrder.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=61))
    for i in range(3):
        response = send(client, point(), phone=f"1390000000{i}", address="10.0.0.1")
        assert response.status_code == 302
    response = send(client, point(STATION), phone="13900000009", address="10.0.0.1")
    assert response.status_code == 429
    assert OnlineOrder.objects.filter(address="10.0.0.1").count() == 4
    assert not OnlineOrder.objects.filter(phone="13900000009").exists()
    assert Notification.objects.filter(kind=Notification.Kind.ORDER).count() == 4
    assert send(client, point(), phone="13900000009", address="10.0.0.2").status_code == 302


def test_honeypot_filled_by_a_robot_stores_nothing(client):
    response = send(client, point(), website="http://spam.example")
    assert response.status_code == 302 and response.url == reverse("order-thanks", args=[point().public_code])
    assert not OnlineOrder.objects.exists()


def test_unknown_code_is_404(client):
    p = point()
    assert client.get(reverse("order-form", args=["nothing-here"])).status_code == 404
    assert client.get(reverse("order-form", args=[str(p.pk)])).status_code == 404
    assert client.post(reverse("order-form", args=["nothing-here"]), order_data()).status_code == 404
    assert client.get(reverse("order-thanks", args=["nothing-here"])).status_code == 404
    assert not OnlineOrder.objects.exists()


def test_public_codes_are_random_for_new_points():
    station = point(STATION)
    public_codes = set()
    for i in range(3):
        grid = Area.objects.create(
            code=f"{station.area.code}Q{i}",
            name=f"新网格{i}",
            level=Area.Level.GRID,
            parent=station.area,
            path=f"{station.area.path}{station.area.code}Q{i}/",
        )
        public_codes.add(ServicePoint.objects.create(name=f"新网格{i}代办点", tier="grid_point", area=grid).public_code)
    assert len(public_codes) == 3 and all(len(code) >= 12 for code in public_codes)


def test_thank_you_page_shows_nobody(client, demo_users):
    admin = demo_users["admin"]
    factories.resident(actor=admin, name="林阿婆", phone="13712345678", national_id=factories.national_id())
    factories.resident(actor=admin, grid_name="绣湖社区第2网格", name="郑老伯", phone="13687654321")
    place(point(), name="周大姐", phone="13511112222", description="帮我外婆办残疾人证")
    place(point(STATION), name="吴先生", phone="13533334444")
    data = order_data(name="何小妹", phone="13355556666")
    data["form_token"] = order_services.order_form_token(point=point(), address="127.0.0.1")
    response = client.post(form_url(point()), data, follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][1] == 302
    sent = OnlineOrder.objects.get(name="何小妹")
    # the sender's own progress code (random: taken out before looking for what must not show)
    html = response.content.decode()
    assert codes.shown(sent.progress_code) in html
    html = html.replace(codes.shown(sent.progress_code), "").replace(sent.progress_code, "")
    assert GRID1_POINT in html
    for secret in [
        "林阿婆",
        "郑老伯",
        "周大姐",
        "吴先生",
        "何小妹",
        "13712345678",
        "5678",
        "13511112222",
        "13355556666",
        "5556666",
        "外婆",
        "DB",
    ]:
        assert secret not in html, secret
    assert OnlineOrder.objects.count() == 3
    # without the sender's token: the same page, whoever asks for it and however often, and no code
    plain = client.get(reverse("order-thanks", args=[point().public_code])).content.decode()
    assert plain == client.get(reverse("order-thanks", args=[point().public_code])).content.decode()
    assert "track-code" not in plain and GRID1_POINT in plain


# --- the QR poster ---------------------------------------------------------------------


def test_qr_poster_and_image_for_the_points_staff(client_for):
    p = point()
    client = client_for("worker")
    response = client.get(reverse("network-qr", args=[p.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"http://testserver/order/{p.public_code}/" in html
    assert reverse("network-qr-svg", args=[p.pk]) in html and 'class="poster paper-a5"' in html
    assert p.name in html and p.address in html and p.opening_hours in html and p.phone in html
    assert 'class="poster paper-a4"' in client.get(reverse("network-qr", args=[p.pk]), {"paper": "a4"}).content.decode()
    image = client.get(reverse("network-qr-svg", args=[p.pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/svg+xml"
    svg = image.content.decode()
    assert "<svg" in svg and "viewBox" in svg and "style" not in svg  # nothing the CSP would block


def test_qr_of_another_grids_point_is_404(client_for, client):
    p = point()
    other = client_for("worker2")
    assert other.get(reverse("network-qr", args=[p.pk])).status_code == 404
    assert other.get(reverse("network-qr-svg", args=[p.pk])).status_code == 404
    assert other.get(reverse("network-qr", args=[999999])).status_code == 404
    other.logout()
    assert client.get(reverse("network-qr-svg", args=[p.pk])).status_code == 302  # to the login


def test_qr_query_counts(client_for, django_assert_num_queries):
    client = client_for("station")
    p = point(STATION)
    client.get(reverse("network-qr", args=[p.pk]))
    # session, user, scopes, point (+area, parent), agents
    with django_assert_num_queries(5):
        assert client.get(reverse("network-qr", args=[p.pk])).status_code == 200
    with django_assert_num_queries(5):
        assert client.get(reverse("network-qr-svg", args=[p.pk])).status_code == 200


def test_network_detail_links_to_the_qr_poster(client_for):
    p = point()
    html = client_for("worker").get(reverse("network-detail", args=[p.pk])).content.decode()
    assert reverse("network-qr", args=[p.pk]) in html


# --- the staff's list ------------------------------------------------------------------


@pytest.fixture
def orders(demo_users):
    """One pending order at each of grid 1, grid 2, the station and a far town's grid."""
    return {
        "grid1": place(point(), name="甲", phone="13900000001"),
        "grid2": place(point(GRID2_POINT), name="乙", phone="13900000002"),
        "station": place(point(STATION), name="丙", phone="13900000003", code=None, description="别的事"),
        "far": place(far_point(), name="丁", phone="13900000004"),
    }


@pytest.mark.parametrize(
    "username, expected",
    [
        ("worker", ["甲"]),
        ("worker2", ["乙"]),
        ("station", ["丙", "乙", "甲"]),
        ("street", ["丙", "乙", "甲"]),
        ("admin", ["丁", "丙", "乙", "甲"]),
        ("secretary", []),
    ],
)
def test_list_shows_pending_orders_of_the_users_points_newest_first(client_for, orders, username, expected):
    response = client_for(username).get(reverse("order-list"))
    assert response.status_code == 200
    assert [o.name for o in response.context["page"]] == expected
    assert response.context["pending"] == len(expected)


def test_list_tabs_by_status(client_for, orders, demo_users):
    order_services.order_reject(actor=demo_users["worker"], order=orders["grid1"], reason="重复下单")
    client = client_for("worker")
    assert [o.name for o in client.get(reverse("order-list")).context["page"]] == []
    response = client.get(reverse("order-list"), {"status": "rejected"})
    assert [o.name for o in response.context["page"]] == ["甲"] and response.context["pending"] == 0


@pytest.mark.parametrize("status, queries", [("pending", 5), ("rejected", 6)])
def test_list_query_count_does_not_grow(client_for, orders, demo_users, status, queries, django_assert_num_queries):
    client = client_for("station")
    order_services.order_reject(actor=demo_users["station"], order=orders["station"], reason="重复")
    client.get(reverse("order-list"))
    # session, user, scopes, count, page (+ the pending count on another tab)
    with django_assert_num_queries(queries):
        client.get(reverse("order-list"), {"status": status})
    for i in range(12):
        order = place(
            point(GRID2_POINT if i % 2 else STATION), phone=f"1370000{i:04d}", code=None if i % 3 else ALLOWANCE
        )
        if i % 4 == 0:
            order_services.order_reject(actor=demo_users["station"], order=order, reason="重复")
    with django_assert_num_queries(queries):
        response = client.get(reverse("order-list"), {"status": status}, headers={"HX-Request": "true"})
    assert "<html" not in response.content.decode()
    assert len(response.context["page"]) == (11 if status == "pending" else 4)
    assert client.get(reverse("order-list")).context["pending"] == 11


# --- the order page: confirm or reject -------------------------------------------------


@pytest.fixture
def resident(demo_users):
    return factories.resident(actor=demo_users["admin"], name="王秀英", phone="13900000001")


def test_order_of_another_point_is_404(client_for, orders):
    client = client_for("worker")
    for other in ("grid2", "station", "far"):
        assert client.get(reverse("order-detail", args=[orders[other].pk])).status_code == 404
        assert client.post(reverse("order-reject", args=[orders[other].pk]), {"reason": "x"}).status_code == 404
        assert client.post(reverse("order-resident-create", args=[orders[other].pk]), {}).status_code == 404
    assert client_for("secretary").get(reverse("order-detail", args=[orders["grid1"].pk])).status_code == 404
    assert OnlineOrder.objects.filter(status=OnlineOrder.Status.PENDING).count() == 4


def test_order_page_suggests_residents_by_name_or_phone_tail(client_for, orders, resident, demo_users):
    factories.resident(actor=demo_users["admin"], name="无关", phone="13911112222")
    factories.resident(
        actor=demo_users["admin"], grid_name="绣湖社区第2网格", name="甲", phone="13900000001"
    )  # out of scope
    response = client_for("worker").get(reverse("order-detail", args=[orders["grid1"].pk]))
    assert [r.name for r in response.context["choices"]] == ["王秀英"]  # the phone's tail matches
    html = response.content.decode()
    assert 'name="resident"' in html and "无关" not in html


def test_htmx_search_returns_only_the_choices(client_for, orders, resident, demo_users):
    factories.resident(actor=demo_users["admin"], name="王大伯", phone="13800000000")
    factories.resident(actor=demo_users["admin"], grid_name="绣湖社区第2网格", name="王二婶")
    client = client_for("worker")
    url = reverse("order-detail", args=[orders["grid1"].pk])
    response = client.get(url, {"q": "王"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and 'name="resident"' in html
    assert [r.name for r in response.context["choices"]] == ["王大伯", "王秀英"]
    tail = client.get(url, {"q": "0000"})
    assert [r.name for r in tail.context["choices"]] == ["王大伯"]


def test_order_page_query_count_does_not_grow(client_for, orders, resident, demo_users, django_assert_num_queries):
    client = client_for("worker")
    url = reverse("order-detail", args=[orders["grid1"].pk])
    client.get(url)
    # session, user, scopes, order (+point, area, service, errand, handler), residents, catalogue
    with django_assert_num_queries(6):
        client.get(url)
    for i in range(8):
        factories.resident(actor=demo_users["admin"], name=f"王{i}", phone=f"1350000{i:04d}")
        place(point(), phone=f"1360000{i:04d}")
    with django_assert_num_queries(6):
        client.get(url, {"q": "王"})
    newcomer = factories.resident(actor=demo_users["admin"], name="新来的")
    with django_assert_num_queries(7):  # + the resident just registered
        response = client.get(url, {"resident": newcomer.pk})
    assert response.context["choices"][0] == newcomer


def test_confirm_opens_exactly_one_online_errand(client_for, orders, resident, demo_users):
    order = orders["grid1"]
    before = set(Notification.objects.values_list("pk", flat=True))
    client = client_for("worker")
    data = {"resident": resident.pk, "service": ServiceType.objects.get(code=ALLOWANCE).pk, "note": "已电话确认"}
    response = client.post(reverse("order-confirm", args=[order.pk]), data)
    assert response.status_code == 302 and response.url == reverse("order-detail", args=[order.pk])
    errand = Errand.objects.get()
    order.refresh_from_db()
    assert (errand.source, errand.resident, errand.service.code) == ("online", resident, ALLOWANCE)
    assert (order.status, order.errand, order.handled_by, order.handled_note) == (
        OnlineOrder.Status.CONFIRMED,
        errand,
        demo_users["worker"],
        "已电话确认",
    )
    assert errand.requested_at == order.created_at and "13900000001" in errand.description
    assert errand.holder_point == point() and errand.assignee == demo_users["worker"]
    # nobody is told anything new; the order's own notice is read now that it is handled
    assert set(Notification.objects.values_list("pk", flat=True)) == before
    assert not Notification.objects.filter(order=order, read_at__isnull=True).exists()
    page = client.get(reverse("order-detail", args=[order.pk])).content.decode()
    assert errand.number in page and 'action="' + reverse("order-confirm", args=[order.pk]) not in page

    again = client.post(reverse("order-confirm", args=[order.pk]), data)
    assert again.status_code == 409 and Errand.objects.count() == 1
    assert client.post(reverse("order-reject", args=[order.pk]), {"reason": "晚了"}).status_code == 409
    order.refresh_from_db()
    assert order.status == OnlineOrder.Status.CONFIRMED and order.handled_note == "已电话确认"


def test_a_colleague_confirming_first_wins(demo_users, orders, resident):
    order = orders["grid1"]
    service = ServiceType.objects.get(code=ALLOWANCE)
    order_services.order_confirm(actor=demo_users["station"], order=order, resident=resident, service=service)
    with pytest.raises(Conflict):
        order_services.order_confirm(actor=demo_users["worker"], order=order, resident=resident, service=service)
    assert Errand.objects.count() == 1


def test_confirm_refuses_a_resident_out_of_scope(client_for, orders, demo_users):
    elsewhere = factories.resident(actor=demo_users["admin"], grid_name="绣湖社区第2网格", name="孙老汉")
    moved = factories.resident(actor=demo_users["admin"], name="搬走的")
    Resident.objects.filter(pk=moved.pk).update(status=Resident.Status.MOVED, status_on=timezone.localdate())
    client = client_for("worker")
    for someone in (elsewhere, moved):
        response = client.post(
            reverse("order-confirm", args=[orders["grid1"].pk]),
            {"resident": someone.pk, "service": ServiceType.objects.get(code=ALLOWANCE).pk},
        )
        assert response.status_code == 200 and list(response.context["confirm_form"].errors) == ["resident"]
    with pytest.raises(ValidationError):  # and the service holds without the form
        order_services.order_confirm(
            actor=demo_users["worker"],
            order=orders["grid1"],
            resident=elsewhere,
            service=ServiceType.objects.get(code=ALLOWANCE),
        )
    assert not Errand.objects.exists()
    assert OnlineOrder.objects.get(pk=orders["grid1"].pk).status == OnlineOrder.Status.PENDING


def test_an_other_order_needs_a_service_to_confirm(client_for, orders, demo_users):
    someone = factories.resident(actor=demo_users["admin"], name="钱奶奶")
    client = client_for("station")
    order = orders["station"]
    html = client.get(reverse("order-detail", args=[order.pk])).content.decode()
    assert "别的事" in html
    response = client.post(reverse("order-confirm", args=[order.pk]), {"resident": someone.pk, "service": ""})
    assert list(response.context["confirm_form"].errors) == ["service"] and not Errand.objects.exists()
    service = ServiceType.objects.get(code="MZ-DB")
    response = client.post(reverse("order-confirm", args=[order.pk]), {"resident": someone.pk, "service": service.pk})
    assert response.status_code == 302
    assert Errand.objects.get().service == service


def test_reject_needs_a_reason(client_for, orders, demo_users):
    client = client_for("worker")
    order = orders["grid1"]
    response = client.post(reverse("order-reject", args=[order.pk]), {"reason": "  "})
    assert response.status_code == 200 and list(response.context["reject_form"].errors) == ["reason"]
    response = client.post(reverse("order-reject", args=[order.pk]), {"reason": "打电话确认是误操作"})
    assert response.status_code == 302 and response.url == reverse("order-list")
    order.refresh_from_db()
    assert (order.status, order.handled_note, order.handled_by) == (
        "rejected",
        "打电话确认是误操作",
        demo_users["worker"],
    )
    assert not Errand.objects.exists()
    assert not Notification.objects.filter(order=order, read_at__isnull=True).exists()


def test_register_a_new_resident_and_come_back(client_for, orders):
    order = orders["grid1"]
    client = client_for("worker")
    form = client.get(reverse("order-resident-create", args=[order.pk]))
    assert form.status_code == 200 and form.context["form"].initial["name"] == "甲"
    grid = Area.objects.get(name="绣湖社区第1网格")
    response = client.post(
        reverse("order-resident-create", args=[order.pk]),
        {
            "name": "甲",
            "phone": order.phone,
            "address": "绣湖社区工人路8号",
            "grid": grid.pk,
            "care_level": "B",
            "consent_basis": "written",
        },
    )
    resident = Resident.objects.get(name="甲")
    assert response.status_code == 302
    assert response.url == f"{reverse('order-detail', args=[order.pk])}?resident={resident.pk}#confirm"
    page = client.get(response.url)
    assert page.context["chosen"] == str(resident.pk) and resident in page.context["choices"]
    assert f'value="{resident.pk}" checked' in page.content.decode()


def test_anonymous_staff_pages_ask_for_a_login(client, orders):
    for url in [reverse("order-list"), reverse("order-detail", args=[orders["grid1"].pk])]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- the demo --------------------------------------------------------------------------


def test_demo_points_have_deterministic_distinct_public_codes():
    points = list(ServicePoint.objects.select_related("area"))
    assert all(p.public_code == demo_public_code(p.area.code, p.tier) for p in points)
    assert len({p.public_code for p in points}) == len(points)
