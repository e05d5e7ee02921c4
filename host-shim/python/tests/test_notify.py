"""notify(): result notifications, once the plugin implements them."""

import re

import pytest

import pmp
from conftest import enroll, notification, uid


@pytest.fixture
def notifying(paid):
    try:
        paid.notify(notification(ErrInfo="E00000000"))
    except pmp.UnsupportedError:
        pytest.skip("notify is not implemented by this plugin build (PMP_E_UNSUPPORTED)")
    return paid


def test_notification_confirmed_and_deduplicated(notifying):
    m = notifying
    b = enroll(m)
    o = uid("O")
    a = m.authorize(order_id=o, buyer_id=b, amount=40000, tax=4000)
    m.capture(order_id=o)
    s = m.status(order_id=o)
    body = notification(AccessID=a.access_id, OrderID=o, Status="SALES", JobCd="SALES",
                        Amount=40000, Tax=4000, PaidBuyerID=b, PaidCode=s.paid_code)
    n = m.notify(body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert isinstance(n, pmp.Notification) and isinstance(n.event, pmp.NotifyEvent)
    assert (n.status, n.event.order_id, n.event.status, n.event.amount, n.event.buyer_id) == \
        ("captured", o, "captured", 40000, b)
    assert n.confirmed is True and n.matches_gateway is True
    assert re.fullmatch(r"[0-9a-f]{64}", n.event_key)
    assert n.reply_body == "0"
    assert "pass" not in repr(n.raw).lower()
    assert m.notify(body).event_key == n.event_key

    stale = notification(AccessID=a.access_id, OrderID=o, Status="AUTH", JobCd="AUTH",
                         Amount=40000, Tax=4000, PaidBuyerID=b, TranDate="20200101000000")
    st = m.notify(stale)
    assert st.matches_gateway is False and st.event.status == "captured"


def test_connectivity_test(notifying):
    t = notifying.notify(notification(ErrInfo="E00000000"))
    assert (t.status, t.event, t.reply_body) == ("test", None, "0")


def test_bad_notifications(notifying):
    m = notifying
    with pytest.raises(pmp.InvalidRequestError) as ei:
        m.notify(notification(ShopID="tshop99999999", OrderID="O-1", Status="SALES", Amount=1))
    assert ei.value.operation == "notify"
    with pytest.raises(pmp.InvalidRequestError):
        m.notify(b"\x00\xff garbage")
    with pytest.raises(pmp.InvalidRequestError):
        m.notify(notification(ErrInfo="E00000000"), {"Content-Type": "application/json"})
    with pytest.raises(pmp.NotFoundError):
        m.notify(notification(OrderID=uid("NO"), Status="SALES", Amount=1))
    with pytest.raises(TypeError):
        m.notify("a str is not a raw body")
    with pytest.raises(pmp.InvalidRequestError):
        m.notify(b"x", {"X-List": ["a", "b"]})
