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


def _sandbox_sends_notifications(executable):
    import os
    import subprocess
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}  # see pmp.sandbox
    out = subprocess.run([executable, "--help"], capture_output=True, text=True, env=env).stdout
    return "--notify-url" in out


def test_a_notification_sent_by_the_sandbox(notifying, plugin_path, tmp_path):
    """End to end: the sandbox POSTs a real notification to the store's
    receiver, the store hands the raw body to notify() and answers reply_body."""
    import http.server
    import os
    import queue
    import threading

    from conftest import closed_port
    from pmp.sandbox import Sandbox

    exe = os.environ["PMP_SANDBOX"]
    if not _sandbox_sends_notifications(exe):
        pytest.skip("this paid-sandbox build cannot send notifications (no --notify-url)")
    port = closed_port()
    got = queue.Queue()
    method_box = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                n = method_box["m"].notify(body, dict(self.headers.items()))
            except pmp.PmpError as e:
                got.put(e)
                self.send_response(400)
                self.end_headers()
                return
            got.put(n)
            reply = n.reply_body.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with Sandbox(exe, extra_args=["--notify-url", f"http://127.0.0.1:{port}/notify",
                                      "--notify-interval", "1"]) as sbx:
            cfg = sbx.write_config(str(tmp_path / "paid.yaml"))
            with pmp.Method(plugin_path, cfg) as m:
                method_box["m"] = m
                b = enroll(m)
                o = uid("O")
                m.authorize(order_id=o, buyer_id=b, amount=7000, tax=700)
                m.capture(order_id=o)
                deadline = 20
                n = None
                while deadline > 0:
                    item = got.get(timeout=deadline)
                    assert not isinstance(item, Exception), item
                    if item.event and item.event.order_id == o and \
                            item.event.status == "captured":
                        n = item
                        break
                    deadline -= 1
                assert n is not None
                assert n.confirmed and n.matches_gateway and n.reply_body == "0"
                assert n.event.amount == 7000 and n.event.buyer_id == b
                # The sandbox records the answer it got.
                sent = sbx.admin("GET", "notifications", order_id=o)
                assert sent, sent
                method_box.clear()
    finally:
        server.shutdown()
        server.server_close()
