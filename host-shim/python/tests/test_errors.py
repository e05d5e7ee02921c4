"""Bad input, gateway and transport failures, and the mapping of every ABI
return code to its exception class."""

import pytest

import pmp
from conftest import closed_port, enroll, uid

EVERY_CODE = {
    -1: pmp.InvalidArgumentError, -2: pmp.InvalidRequestError, -3: pmp.ConfigError,
    -4: pmp.NetworkError, -5: pmp.OutcomeUnknownError, -6: pmp.GatewayError,
    -7: pmp.UnsupportedError, -8: pmp.AbiVersionError, -9: pmp.ForkedError,
    -10: pmp.NoMemoryError, -11: pmp.InternalError, -12: pmp.ConflictError,
    -13: pmp.TlsError, -14: pmp.ProtocolError, -15: pmp.NotFoundError, -16: pmp.StateError,
}


@pytest.mark.parametrize("request_, needle", [
    ({"amount": 1, "colour": "red"}, "colour"),
    ({"amount": 100.0}, "amount"),
    ({"amount": "100"}, "amount"),
    ({"amount": -5}, "amount"),
    ({"amount": True}, "amount"),
    ({"amount": 1, "order_id": "has space"}, "order_id"),
    ({"amount": 1, "contents": "\U0001F600"}, "contents"),
    ({"amount": 1, "order_id": None, "buyer_id": None}, "order_id"),
], ids=["unknown-member", "float", "string", "negative", "bool", "bad-id", "not-sjis", "nulls"])
def test_invalid_requests_name_the_member_and_send_nothing(paid, sandbox, request_, needle):
    before = sandbox.admin("GET", "requests", since=0)["last_seq"]
    req = {"order_id": uid("O"), "buyer_id": "B-1", **request_}
    with pytest.raises(pmp.InvalidRequestError) as ei:
        paid.authorize(req)
    e = ei.value
    assert e.code == -2 and not e.retryable and e.operation == "authorize"
    assert needle in e.message
    assert sandbox.admin("GET", "requests", since=0)["last_seq"] == before


def test_requests_that_python_cannot_encode(paid):
    with pytest.raises(pmp.InvalidRequestError):
        paid.authorize(order_id="O-1", amount=float("nan"))
    with pytest.raises(pmp.InvalidRequestError):
        paid.authorize(order_id="O-1", amount=object())
    with pytest.raises(pmp.InvalidRequestError):
        paid.authorize([1, 2, 3])
    with pytest.raises(pmp.InvalidRequestError):
        paid.authorize(order_id="\ud800")


def test_state_and_not_found(paid):
    b = enroll(paid)
    o = uid("O")
    paid.authorize(order_id=o, buyer_id=b, amount=1000)
    with pytest.raises(pmp.StateError) as ei:
        paid.refund(order_id=o)
    assert ei.value.code == -16
    with pytest.raises(pmp.NotFoundError):
        paid.status(order_id=uid("NO"))
    with pytest.raises(pmp.NotFoundError) as ei:
        paid.payer_status(buyer_id=uid("NB"))
    assert ei.value.gateway_codes and isinstance(ei.value, pmp.PmpError)


def test_outcome_unknown_then_retry_with_the_same_order_id(paid, sandbox):
    b = enroll(paid)
    o = uid("O")
    sandbox.admin("DELETE", "faults")
    sandbox.admin("POST", "faults", op="ExecTranPaid", kind="drop_after_commit", count=1)
    sandbox.admin("POST", "faults", op="SearchTradeMulti", kind="drop_before_commit", count=50)
    try:
        with pytest.raises(pmp.OutcomeUnknownError) as ei:
            paid.authorize(order_id=o, buyer_id=b, amount=3000)
    finally:
        sandbox.admin("DELETE", "faults")
    assert ei.value.code == -5 and ei.value.retryable
    a = paid.authorize(order_id=o, buyer_id=b, amount=3000)
    assert a.status == "authorized" and a.replayed
    tx = sandbox.admin("GET", "transactions/" + o)
    assert (tx["status"], tx["amount"]) == ("AUTH", 3000)


def test_network_error_is_retryable(plugin_path, sandbox, tmp_path):
    cfg = sandbox.write_config(str(tmp_path / "net.yaml"),
                               base_url=f"https://127.0.0.1:{closed_port()}/payment/")
    with pmp.Method(plugin_path, cfg) as m:
        with pytest.raises(pmp.NetworkError) as ei:
            m.status(order_id="O-1")
    assert ei.value.code == -4 and ei.value.retryable


def test_tls_error(plugin_path, sandbox, tmp_path):
    cfg = sandbox.write_config(str(tmp_path / "tls.yaml"),
                               ca_file="/etc/ssl/certs/ca-certificates.crt")
    with pmp.Method(plugin_path, cfg) as m:
        with pytest.raises(pmp.TlsError) as ei:
            m.status(order_id="O-1")
    assert ei.value.code == -13 and not ei.value.retryable


@pytest.mark.parametrize("code", sorted(EVERY_CODE, reverse=True))
def test_every_abi_code_maps_to_its_class(fake_plugin, code):
    with pmp.Method.from_config_text(fake_plugin, "fake: 1\n") as f:
        with pytest.raises(pmp.PmpError) as ei:
            f.status({"fail": code})
    e = ei.value
    assert type(e) is EVERY_CODE[code]
    assert e.code == code == type(e).code_value
    assert e.retryable == (code in (-4, -5, -14))
    assert e.gateway_codes == ("E00000001", "E00000002")
    assert e.gateway_code == "E00000001|E00000002"
    assert f"fake failure {code}" in e.message
    assert e.code_name.startswith("PMP_E_")


def test_unknown_code_gives_the_base_class(fake_plugin):
    with pmp.Method.from_config_text(fake_plugin, "") as f:
        with pytest.raises(pmp.PmpError) as ei:
            f.authorize({"fail": -99})
    assert type(ei.value) is pmp.PmpError and ei.value.code == -99


def test_init_failures_map_too(fake_plugin):
    with pytest.raises(pmp.ConfigError):
        pmp.Method.from_config_text(fake_plugin, "fail_init: -3\n")
    with pytest.raises(pmp.TlsError):
        pmp.Method.from_config_text(fake_plugin, "fail_init: -13\n")


def test_no_password_in_messages(paid, sandbox):
    try:
        paid.capture(order_id=uid("NO"))
    except pmp.PmpError as e:
        assert sandbox.password not in str(e)
