#!/usr/bin/python3
"""A minimal B2B store's checkout with Paid, in Python (package "pmp").

Run it with `examples/run.sh python`, which starts a sandbox and sets:
  STORE_METHODS        the store's methods file (which payment plugins are on)
  STORE_NOTIFY_PORT    where to receive result notifications ("" when the
                       sandbox cannot send them)
  STORE_SANDBOX_BASE, STORE_SANDBOX_CA   the sandbox's admin API (used only
                       to print what the gateway holds)
  PAID_SHOP_PASS       the plugin configuration's shop password

The story: the store loads its payment methods from configuration, registers
a buyer company, shows the methods eligible for two carts (Paid hidden for
the one over the buyer's credit line), authorizes the order with the method
the buyer picked, ships it (capture), and receives Paid's result
notification for the shipment.
"""

import http.server
import json
import os
import queue
import ssl
import sys
import threading
import time
import urllib.request

import pmp

STORE_OWN_METHODS = [("card", "Credit card"), ("transfer", "Bank transfer")]


def say(step, text):
    print(f"[{step}] {text}", flush=True)


def yen(n):
    return f"{n:,} JPY"


class NotificationReceiver:
    """The store's endpoint for the gateway's result notifications: hands the
    raw body to the plugin, stores the event once (by event_key), and answers
    with exactly the body the plugin says."""

    def __init__(self, method, port):
        self.method = method
        self.events = {}  # event_key -> event: the store's "database"
        self.arrived = queue.Queue()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k: v for k, v in self.headers.items()}
                try:
                    n = receiver.method.notify(body, headers)
                except pmp.PmpError as e:
                    # Not stored: answer an error, the gateway sends it again.
                    receiver.arrived.put(e)
                    self.send_response(400)
                    self.end_headers()
                    return
                first = n.event_key not in receiver.events
                receiver.events.setdefault(n.event_key, n.event)
                receiver.arrived.put((n, first))
                reply = n.reply_body.encode("ascii")
                self.send_response(200)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def gateway_record(order_id):
    ctx = ssl.create_default_context(cafile=os.environ["STORE_SANDBOX_CA"])
    url = os.environ["STORE_SANDBOX_BASE"] + "_sandbox/transactions/" + order_id
    with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
        return json.load(r)


def main():
    methods_file = os.environ["STORE_METHODS"]
    stamp = time.strftime("%H%M%S")
    with pmp.Methods(methods_file) as methods:
        say("config", f"methods file {methods_file}")
        for d in methods.describe():
            c = d["capabilities"]
            features = ", ".join(k for k in ("partial_capture", "refund", "void", "adjust",
                                             "async_review", "notifications",
                                             "payer_enrollment") if c.get(k))
            say("config", f"  {d['name']}: \"{d['label']}\" = plugin {d['method']} "
                          f"{d['plugin_version']} ({features}; {yen(c['amount_min'])} to "
                          f"{yen(c['amount_max'])})")
        say("config", "  and the store's own: " + ", ".join(l for _, l in STORE_OWN_METHODS))

        # The buyer picks Paid: the store's checkout takes it by its name
        # in the methods file.
        paid = methods["paid"]

        buyer = f"B-{stamp}"
        e = paid.enroll(buyer_id=buyer, company_name="株式会社サンプル商事",
                        company_name_kana="カブシキガイシャサンプルショウジ", zip_code="1500002",
                        prefecture="東京都", address1="渋谷区渋谷", address2="1-2-3",
                        tel="03-1234-5678", email="buyer@example.jp")
        say("account", f"buyer {buyer} registered with {paid.label}: screening {e.status}")

        for amount, tax in ((120000, 12000), (2000000, 200000)):
            offers = methods.offers(buyer_id=buyer, amount=amount, tax=tax)
            shown = [l for _, l in STORE_OWN_METHODS] + [o.label for o in offers if o.eligible]
            hidden = [f"{o.label} ({o.reason})" for o in offers if not o.eligible]
            say("cart", f"{yen(amount)} + {yen(tax)} tax: offered {', '.join(shown)}"
                        + (f"; hidden {', '.join(hidden)}" if hidden else ""))

        receiver = None
        port = os.environ.get("STORE_NOTIFY_PORT", "")
        if port:
            receiver = NotificationReceiver(paid, int(port))

        order = f"ORD-{stamp}-1"
        a = paid.authorize(order_id=order, buyer_id=buyer, amount=120000, tax=12000,
                           contents="コピー用紙 A4 10箱")
        if a.status != "authorized":
            say("order", f"{order}: {a.status} "
                         f"({a.decline.reason if a.decline else 'no reason given'})")
            return 1
        say("order", f"{order} with {paid.label}: {a.status}, {yen(a.amount)} + {yen(a.tax)} "
                     f"tax (gateway {a.gateway_status}, calls {', '.join(a.gateway_calls)})")

        c = paid.capture(order_id=order, fixed_at=time.strftime("%Y-%m-%d"))
        line = f"{order}: {c.status} on {c.fixed_at}"
        if c.settlement:
            s = c.settlement
            line += (f"; invoiced {s.get('invoice_issue_date')}, due "
                     f"{s.get('invoice_due_date')}, paid out to the store "
                     f"{s.get('expected_deposit_date')}")
        say("ship", line)

        notified = False
        if receiver is None:
            say("notify", "skipped: this sandbox build cannot send result notifications "
                          "(no --notify-url)")
        else:
            try:
                got = receiver.arrived.get(timeout=15)
            except queue.Empty:
                got = None
            receiver.close()
            if got is None:
                say("notify", "skipped: no notification arrived within 15 s")
            elif isinstance(got, pmp.UnsupportedError):
                say("notify", "skipped: this plugin build does not handle notifications yet "
                              "(PMP_E_UNSUPPORTED)")
            elif isinstance(got, pmp.PmpError):
                say("notify", f"refused: {got}")
                return 1
            else:
                n, first = got
                ev = n.event
                say("notify", f"{ev.order_id}: {ev.status} (gateway {ev.gateway_status}, "
                              f"confirmed {n.confirmed}), stored once under "
                              f"{n.event_key[:12]}..., answered {n.reply_body!r}")
                notified = True

        st = paid.status(order_id=order)
        rec = gateway_record(order)
        say("status", f"{order}: {st.status}, Paid code {st.paid_code}; the gateway holds "
                      f"{rec['status']} {yen(rec['amount'])} + {yen(rec['tax'])} tax")
        life = "registered, offered, authorized, shipped" + (", notified" if notified else "")
    say("done", f"the order's life: {life}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except pmp.OutcomeUnknownError as e:
        print(f"outcome unknown, retry with the same order ID later: {e}", file=sys.stderr)
        sys.exit(3)
    except pmp.PmpError as e:
        print(f"payment error: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
