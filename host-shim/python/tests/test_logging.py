"""The plugin's log lines reach Python's logging; secrets never appear."""

import logging

import pmp
from conftest import enroll, uid


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_log_lines_and_no_secrets(plugin_path, config, sandbox):
    logger = logging.getLogger("pmp.test-logging")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    h = Collect()
    logger.addHandler(h)
    text = open(config).read().replace("level: warn", "level: debug")
    with pmp.Method.from_config_text(plugin_path, text, logger=logger) as m:
        b = enroll(m)
        out = repr(m.authorize(order_id=uid("O"), buyer_id=b, amount=1000).raw)
        try:
            m.capture(order_id=uid("NO"))
        except pmp.PmpError as e:
            out += str(e)
    logger.removeHandler(h)
    assert len(h.records) > 3
    assert {r.levelno for r in h.records} <= {logging.ERROR, logging.WARNING, logging.INFO,
                                               logging.DEBUG}
    everything = out + "\n".join(r.getMessage() for r in h.records)
    assert sandbox.password not in everything
    for t in sandbox.admin("GET", "transactions")["transactions"]:
        if t["access_pass"]:
            assert t["access_pass"] not in everything


def test_no_logger(plugin_path, config):
    with pmp.Method(plugin_path, config, logger=False) as m:
        assert m.capabilities().status == "ok"
