"""pmp: payment-method plugins (abi/pmp.h) from Python, on ctypes alone.

    import pmp

    with pmp.Method("/usr/lib/x86_64-linux-gnu/libpmp_paid.so.1",
                    "/etc/shop/paid.yaml") as paid:
        st = paid.payer_status(buyer_id="B-1001", amount=120000, tax=12000)
        if st.eligible:
            r = paid.authorize(order_id="ORD-1", buyer_id="B-1001",
                               amount=120000, tax=12000)

    with pmp.Methods("/etc/shop/methods.yaml") as methods:
        for offer in methods.eligible(buyer_id="B-1001", amount=120000):
            print(offer.name, offer.label)

* :class:`Method` - one plugin context; one method per ABI operation,
  typed results (:mod:`pmp.results`), thread-safe, a context manager.
* :class:`Methods` - the methods of a merchant's methods file, with the
  "eligible methods for this cart" helper.
* :mod:`pmp.errors` - one exception class per ABI return code.
* :mod:`pmp.sandbox` - start the local paid-sandbox for tests.

Only the standard library is used; no compiled extension. See docs/hosts.md.
"""

from . import errors, results
from ._abi import (ABI_MAJOR, LOG_DEBUG, LOG_ERROR, LOG_INFO, LOG_WARN)
from .errors import *  # noqa: F401,F403 - the exception classes are API
from .method import Method, Plugin
from .methods import MethodEntry, Methods, Offer, read_methods_file
from .results import *  # noqa: F401,F403 - the result classes are API

__version__ = "0.1.0"

__all__ = (["Method", "Plugin", "Methods", "MethodEntry", "Offer", "read_methods_file",
            "ABI_MAJOR", "LOG_ERROR", "LOG_WARN", "LOG_INFO", "LOG_DEBUG", "errors",
            "results"] + errors.__all__ + results.__all__)
