"""One Method used from many threads at once (the ABI allows concurrent
operations on one context; ctypes releases the GIL during each call)."""

import threading
import time

import pmp
from conftest import enroll, uid


def test_eight_threads_authorize_distinct_orders(paid, sandbox):
    buyer = enroll(paid, "line5000000@example.jp")
    orders = [uid("T") for _ in range(8)]
    results, errors = {}, []
    barrier = threading.Barrier(8)

    def work(order_id):
        try:
            barrier.wait(10)
            for _ in range(3):  # the repeats are idempotent replays
                r = paid.authorize(order_id=order_id, buyer_id=buyer, amount=10000, tax=1000)
            results[order_id] = (r.status, r.replayed, paid.status(order_id=order_id).status)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(o,)) for o in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert results == {o: ("authorized", True, "authorized") for o in orders}
    for o in orders:
        tx = sandbox.admin("GET", "transactions/" + o)
        assert (tx["status"], tx["amount"], tx["tax"]) == ("AUTH", 10000, 1000)
    assert paid.payer_status(buyer_id=buyer).rest_amount == 5_000_000 - 8 * 11000


def test_calls_overlap_in_time(paid, sandbox):
    """Two calls each held 600 ms by the sandbox finish in well under 1.2 s:
    the GIL is released while the plugin waits."""
    buyer = enroll(paid)
    sandbox.admin("POST", "faults", op="CheckPaidRestAmount", kind="delay_after_commit",
                  count=2, delay_ms=600)
    try:
        start = time.monotonic()
        ts = [threading.Thread(target=paid.payer_status, kwargs={"buyer_id": buyer})
              for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        elapsed = time.monotonic() - start
    finally:
        sandbox.admin("DELETE", "faults")
    assert elapsed < 1.1, elapsed


def test_close_waits_for_calls_in_flight(plugin_path, config, sandbox):
    m = pmp.Method(plugin_path, config)
    buyer = enroll(m)
    sandbox.admin("POST", "faults", op="CheckPaidRestAmount", kind="delay_after_commit",
                  count=1, delay_ms=500)
    out = {}

    def slow():
        out["r"] = m.payer_status(buyer_id=buyer)

    t = threading.Thread(target=slow)
    try:
        t.start()
        time.sleep(0.2)
        m.close()  # must wait for the call, not shut the context under it
        t.join(10)
    finally:
        sandbox.admin("DELETE", "faults")
    assert out["r"].status == "approved"
    assert m.closed
