"""Typed results: one frozen dataclass per operation.

Each result holds the members documented in docs/operations.md as typed
fields, and the whole JSON document in ``raw``. Members the plugin adds in a
later version than this package knows are kept in ``raw`` and otherwise
ignored, as docs/ABI.md asks of hosts. Amounts are ``int`` JPY.

``status`` is the plugin's status word (``"authorized"``, ``"declined"``...);
a status this package does not know is passed through as is: treat it like
``"unknown"`` (not success, not failure) and ask ``status`` later.
"""

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

__all__ = [
    "Result", "Capabilities", "Enrollment", "PayerStatus", "Decline", "Order",
    "Authorization", "Capture", "Void", "Refund", "Adjustment", "OrderStatus",
    "NotifyEvent", "Notification", "RESULT_TYPES",
]


@dataclass(frozen=True)
class Result:
    """Members common to every result."""
    operation: str
    status: str
    gateway_calls: Tuple[str, ...] = ()
    #: The gateway's ErrInfo codes behind a decline or warning (may be empty).
    gateway_errors: Tuple[str, ...] = ()
    #: The whole result JSON as the plugin gave it.
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, doc, gateway_errors=""):
        """Builds the result from the plugin's decoded JSON document."""
        hints = typing.get_type_hints(cls)
        kwargs = {}
        for f in dataclasses.fields(cls):
            if f.name in ("raw", "gateway_errors") or f.name not in doc:
                continue
            kwargs[f.name] = _convert(hints[f.name], doc[f.name])
        kwargs["gateway_errors"] = tuple(c for c in (gateway_errors or "").split("|") if c)
        kwargs["raw"] = doc
        return cls(**kwargs)


def _convert(hint, value):
    """Turns lists into tuples and nested objects into their dataclasses."""
    if value is None:
        return None
    args = typing.get_args(hint)
    if typing.get_origin(hint) is typing.Union:  # Optional[X]
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value) if len(inner) == 1 else value
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return hint.from_json(value)
    if typing.get_origin(hint) is tuple and isinstance(value, list):
        return tuple(value)
    return value


@dataclass(frozen=True)
class Capabilities(Result):
    """capabilities: what the method can do. Sends nothing."""
    method: str = ""
    abi_major: int = 0
    abi_minor: int = 0
    plugin_version: str = ""
    flags: int = 0
    partial_capture: bool = False
    multiple_captures: bool = False
    refund: bool = False
    partial_refund: bool = False
    void: bool = False
    adjust: bool = False
    async_review: bool = False
    notifications: bool = False
    payer_enrollment: bool = False
    currency: str = ""
    amount_min: Optional[int] = None
    amount_max: Optional[int] = None


@dataclass(frozen=True)
class Enrollment(Result):
    """enroll: status ``screening``, ``approved``, ``rejected`` or ``suspended``."""
    buyer_id: str = ""
    paid_id: str = ""
    gateway_buyer_status: str = ""


@dataclass(frozen=True)
class PayerStatus(Result):
    """payer_status: the buyer's screening state and remaining line.

    ``rest_amount`` is set only when the buyer is approved; ``eligible`` only
    when the request named an amount (True when approved and
    amount + tax <= rest_amount)."""
    buyer_id: str = ""
    gateway_buyer_status: str = ""
    rest_amount: Optional[int] = None
    eligible: Optional[bool] = None


@dataclass(frozen=True)
class Decline:
    """Why an order was declined. ``reason`` is one of
    ``buyer_under_screening``, ``buyer_not_approved``, ``credit_line_exceeded``,
    ``review_refused`` or ``other``; ``code`` is the gateway's ErrInfo."""
    code: str = ""
    reason: str = ""
    message: str = ""

    @classmethod
    def from_json(cls, doc):
        return cls(code=doc.get("code", ""), reason=doc.get("reason", ""),
                   message=doc.get("message", ""))


@dataclass(frozen=True)
class Order(Result):
    """Members every order result has (capture, void, refund, adjust)."""
    order_id: str = ""
    gateway_status: str = ""
    amount: int = 0
    tax: int = 0
    access_id: str = ""
    replayed: bool = False


@dataclass(frozen=True)
class Authorization(Order):
    """authorize: ``authorized``, ``pending_review`` or ``declined`` (with
    ``decline``); a repeat of an existing order returns it as it stands now
    with ``replayed`` True."""
    buyer_id: str = ""
    decline: Optional[Decline] = None


@dataclass(frozen=True)
class Capture(Order):
    """capture (shipping report): status ``captured``. ``released_amount`` is
    the line released by a lower amount; ``fixed_at`` the shipping date sent
    (None: the gateway's processing date)."""
    released_amount: int = 0
    fixed_at: Optional[str] = None
    settlement: Optional[Dict[str, Any]] = None


@dataclass(frozen=True)
class Void(Order):
    """void: status ``voided``; ``amount``/``tax`` are what was cancelled."""


@dataclass(frozen=True)
class Refund(Order):
    """refund: ``refunded`` (in full) or ``captured`` (part returned);
    ``amount``/``tax`` are what remains."""
    refunded_amount: int = 0
    refunded_tax: int = 0


@dataclass(frozen=True)
class Adjustment(Order):
    """adjust: the new totals, or ``declined`` (order unchanged) when the
    line cannot hold an increase."""
    previous_amount: int = 0
    previous_tax: int = 0
    decline: Optional[Decline] = None


@dataclass(frozen=True)
class OrderStatus(Order):
    """status: the gateway's authoritative record of an order."""
    buyer_id: str = ""
    paid_code: str = ""
    contents: str = ""
    cancel_amount: int = 0
    cancel_tax: int = 0
    process_date: str = ""
    job_cd: str = ""
    client_fields: Tuple[str, ...] = ()
    settlement: Optional[Dict[str, Any]] = None


@dataclass(frozen=True)
class NotifyEvent:
    """The order state a notification asks the host to apply (the gateway's
    own record when ``Notification.confirmed``)."""
    order_id: str = ""
    status: str = ""
    gateway_status: str = ""
    amount: int = 0
    tax: int = 0
    access_id: str = ""
    buyer_id: str = ""
    paid_code: str = ""
    cancel_amount: Optional[int] = None
    cancel_tax: Optional[int] = None
    process_date: Optional[str] = None

    @classmethod
    def from_json(cls, doc):
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in doc.items() if k in names})


@dataclass(frozen=True)
class Notification(Result):
    """notify: a result notification parsed and checked.

    Store ``event`` durably (dropping duplicates by ``event_key``), then answer
    the gateway with HTTP 200 and exactly ``reply_body``. ``status`` is
    ``"test"`` (and ``event`` None) for the gateway's connectivity test."""
    event: Optional[NotifyEvent] = None
    event_key: str = ""
    reply_body: str = ""
    confirmed: Optional[bool] = None
    matches_gateway: Optional[bool] = None
    notified: Optional[Dict[str, Any]] = None


#: The result type of each operation, by ABI operation name.
RESULT_TYPES = {
    "capabilities": Capabilities,
    "enroll": Enrollment,
    "payer_status": PayerStatus,
    "authorize": Authorization,
    "capture": Capture,
    "void": Void,
    "refund": Refund,
    "adjust": Adjustment,
    "status": OrderStatus,
    "notify": Notification,
}
