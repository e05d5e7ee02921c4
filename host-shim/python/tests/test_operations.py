"""Every operation through the real plugin against the sandbox."""

import pytest

import pmp
from conftest import enroll, uid


def test_capabilities(paid):
    c = paid.capabilities()
    assert isinstance(c, pmp.Capabilities)
    assert (c.operation, c.status, c.method, c.abi_major) == ("capabilities", "ok", "paid", 1)
    bits = ["partial_capture", "multiple_captures", "refund", "partial_refund", "void", "adjust",
            "async_review", "notifications", "payer_enrollment"]
    assert c.flags & 0x1ff == sum(1 << i for i, b in enumerate(bits) if getattr(c, b))
    assert c.currency == "JPY" and c.amount_min == 1 and c.amount_max == 10_000_000
    assert c.gateway_calls == ()
    assert c.raw["plugin_version"] == paid.plugin.version


def test_enroll_and_payer_status(paid):
    b = uid("B")
    e = paid.enroll(buyer_id=b, company_name="株式会社テスト商事",
                    company_name_kana="カブシキガイシャテストショウジ", zip_code="1500002",
                    prefecture="東京都", address1="渋谷区渋谷", address2="1-2-3",
                    tel="03-1234-5678", email="buyer@example.jp", established_year=2001)
    assert isinstance(e, pmp.Enrollment)
    assert e.status == "approved" and e.buyer_id == b and e.paid_id
    assert e.gateway_calls == ("SavePaidBuyer", "CheckPaidBuyer")
    s = paid.payer_status(buyer_id=b)
    assert isinstance(s, pmp.PayerStatus)
    assert s.status == "approved" and s.rest_amount == 1_000_000 and s.eligible is None
    assert paid.payer_status({"buyer_id": b, "amount": 120000, "tax": 12000}).eligible is True
    assert paid.payer_status(buyer_id=b, amount=990000, tax=99000).eligible is False


@pytest.mark.parametrize("email,status", [("reject@example.jp", "rejected"),
                                          ("review@example.jp", "screening"),
                                          ("small@example.jp", "approved")])
def test_screening_outcomes(paid, email, status):
    b = enroll(paid, email)
    assert paid.payer_status(buyer_id=b).status == status


def test_order_lifecycle(paid):
    b = enroll(paid)
    o = uid("O")
    req = {"order_id": o, "buyer_id": b, "amount": 100000, "tax": 10000,
           "contents": "コピー用紙 A4 10箱", "client_fields": ["store-7", "", ""]}
    a = paid.authorize(req)
    assert isinstance(a, pmp.Authorization)
    assert (a.status, a.order_id, a.amount, a.tax, a.replayed) == \
        ("authorized", o, 100000, 10000, False)
    assert len(a.access_id) == 32 and a.decline is None and a.gateway_errors == ()
    again = paid.authorize(req)
    assert again.replayed and again.access_id == a.access_id

    with pytest.raises(pmp.ConflictError):
        paid.authorize(order_id=o, buyer_id=b, amount=99999)

    c = paid.capture(order_id=o, amount=80000, tax=8000, fixed_at="2026-12-03")
    assert isinstance(c, pmp.Capture)
    assert (c.status, c.amount, c.released_amount, c.fixed_at) == \
        ("captured", 80000, 22000, "2026-12-03")

    s = paid.status(order_id=o)
    assert isinstance(s, pmp.OrderStatus)
    assert (s.status, s.gateway_status, s.buyer_id) == ("captured", "SALES", b)
    assert s.paid_code and s.client_fields[0] == "store-7" and isinstance(s.client_fields, tuple)

    r = paid.refund(order_id=o, amount=20000, tax=2000)
    assert isinstance(r, pmp.Refund)
    assert (r.status, r.refunded_amount, r.amount) == ("captured", 20000, 60000)
    assert paid.refund(order_id=o).status == "refunded"


def test_adjust_and_void(paid):
    b = enroll(paid)
    o = uid("O")
    paid.authorize(order_id=o, buyer_id=b, amount=50000)
    ad = paid.adjust(order_id=o, amount=70000, tax=7000)
    assert isinstance(ad, pmp.Adjustment)
    assert (ad.status, ad.amount, ad.previous_amount) == ("authorized", 70000, 50000)
    ad = paid.adjust(order_id=o, amount=5_000_000)
    assert ad.status == "declined" and ad.decline.reason == "credit_line_exceeded"
    assert ad.amount == 70000
    v = paid.void(order_id=o)
    assert isinstance(v, pmp.Void) and v.status == "voided" and v.amount == 70000
    assert paid.void_order(order_id=o).replayed


def test_declines_are_results_not_exceptions(paid):
    b = enroll(paid)
    d = paid.authorize(order_id=uid("O"), buyer_id=b, amount=2_000_000)
    assert d.status == "declined"
    assert isinstance(d.decline, pmp.Decline)
    assert (d.decline.reason, d.decline.code) == ("credit_line_exceeded", "P01020001")
    assert d.gateway_errors == ("P01020001",)
    rb = enroll(paid, "reject@example.jp")
    d = paid.authorize(order_id=uid("O"), buyer_id=rb, amount=1000)
    assert d.status == "declined" and d.decline.reason == "buyer_not_approved"


def test_results_are_frozen_and_keep_raw(paid):
    c = paid.capabilities()
    with pytest.raises(Exception):
        c.status = "x"
    assert c.raw["operation"] == "capabilities"
