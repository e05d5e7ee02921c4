"""The exception hierarchy: one class per return code of abi/pmp.h.

Every failure of a plugin call raises a subclass of :class:`PmpError` that
carries the ABI code, the plugin's message, the gateway's ErrInfo list and
the retryable flag. A declined payment is *not* an exception: it is a result
whose ``status`` is ``"declined"``.

``OutcomeUnknownError`` deserves its own ``except``: the request may have
reached the gateway. It is neither success nor failure; retry later with the
*same* order ID (the plugin inquires before it resends anything that moves
money), or ask ``status``.
"""

from . import _abi

__all__ = [
    "PmpError", "InvalidArgumentError", "InvalidRequestError", "ConfigError",
    "NetworkError", "OutcomeUnknownError", "GatewayError", "UnsupportedError",
    "AbiVersionError", "ForkedError", "NoMemoryError", "InternalError",
    "ConflictError", "TlsError", "ProtocolError", "NotFoundError", "StateError",
    "LoaderError", "MethodsFileError", "error_for_code",
]


class PmpError(Exception):
    """Base of every error a plugin call raises.

    Attributes:
        code: the ABI return code (negative int, e.g. -4 for a network error).
        message: the plugin's English message naming the field or key at fault.
            Never holds a secret.
        gateway_code: the gateway's ErrInfo codes, ``'|'``-separated, or ``""``.
        gateway_codes: the same as a tuple, e.g. ``("E01040010",)``.
        retryable: True when the same call may be retried as is (with the
            same order ID).
        operation: the operation that failed (``"authorize"``...), or ``""``
            for loading and configuration.
    """

    #: The ABI code this class stands for (None: any code without a class).
    code_value = None
    #: The name of the code in abi/pmp.h.
    code_name = "PMP_E_?"

    def __init__(self, message, *, code=None, gateway_code="", retryable=False,
                 operation=""):
        self.code = code if code is not None else self.code_value
        self.message = message
        self.gateway_code = gateway_code or ""
        self.gateway_codes = tuple(c for c in self.gateway_code.split("|") if c)
        self.retryable = bool(retryable)
        self.operation = operation
        # The plugin's messages often name the operation already.
        text = message
        if operation and not message.startswith(operation + ":"):
            text = f"{operation}: {message}"
        if self.gateway_code and self.gateway_code not in message:
            text += f" [{self.gateway_code}]"
        super().__init__(text)

    def __reduce__(self):
        return (_rebuild, (type(self), self.message, self.code, self.gateway_code,
                           self.retryable, self.operation))


def _rebuild(cls, message, code, gateway_code, retryable, operation):
    return cls(message, code=code, gateway_code=gateway_code, retryable=retryable,
               operation=operation)


class InvalidArgumentError(PmpError):
    """-1 PMP_E_INVALID_ARG: wrong use of the ABI (also: a closed Method).
    Nothing was sent."""
    code_value, code_name = _abi.E_INVALID_ARG, "PMP_E_INVALID_ARG"


class InvalidRequestError(PmpError):
    """-2 PMP_E_INVALID_REQUEST: the request is malformed or a member is
    unknown, missing, of the wrong type or out of range; the message names the
    member. Nothing was sent."""
    code_value, code_name = _abi.E_INVALID_REQUEST, "PMP_E_INVALID_REQUEST"


class ConfigError(PmpError):
    """-3 PMP_E_CONFIG: the plugin's configuration is invalid; the message
    names the file, line and key."""
    code_value, code_name = _abi.E_CONFIG, "PMP_E_CONFIG"


class NetworkError(PmpError):
    """-4 PMP_E_NETWORK: the request certainly did not reach the gateway.
    Retryable."""
    code_value, code_name = _abi.E_NETWORK, "PMP_E_NETWORK"


class OutcomeUnknownError(PmpError):
    """-5 PMP_E_OUTCOME_UNKNOWN: the request may have reached the gateway and
    inquiry could not settle it. Not success, not failure: retry only with the
    same order ID, or ask status later."""
    code_value, code_name = _abi.E_OUTCOME_UNKNOWN, "PMP_E_OUTCOME_UNKNOWN"


class GatewayError(PmpError):
    """-6 PMP_E_GATEWAY: the gateway answered with an error that is not a
    business decline; ``gateway_codes`` holds the ErrInfo list."""
    code_value, code_name = _abi.E_GATEWAY, "PMP_E_GATEWAY"


class UnsupportedError(PmpError):
    """-7 PMP_E_UNSUPPORTED: this plugin or build does not support the
    operation."""
    code_value, code_name = _abi.E_UNSUPPORTED, "PMP_E_UNSUPPORTED"


class AbiVersionError(PmpError):
    """-8 PMP_E_ABI_VERSION: the plugin does not serve ABI major 1."""
    code_value, code_name = _abi.E_ABI_VERSION, "PMP_E_ABI_VERSION"


class ForkedError(PmpError):
    """-9 PMP_E_FORKED: the Method was opened in another process (fork after
    open). Open a new Method in the child."""
    code_value, code_name = _abi.E_FORKED, "PMP_E_FORKED"


class NoMemoryError(PmpError):
    """-10 PMP_E_NOMEM: the plugin ran out of memory. Nothing was sent."""
    code_value, code_name = _abi.E_NOMEM, "PMP_E_NOMEM"


class InternalError(PmpError):
    """-11 PMP_E_INTERNAL: a bug in the plugin (or an unreadable result)."""
    code_value, code_name = _abi.E_INTERNAL, "PMP_E_INTERNAL"


class ConflictError(PmpError):
    """-12 PMP_E_CONFLICT: the same order ID already exists with another
    amount, buyer or contents. Nothing was changed."""
    code_value, code_name = _abi.E_CONFLICT, "PMP_E_CONFLICT"


class TlsError(PmpError):
    """-13 PMP_E_TLS: certificate not verified, host name mismatch, or the CA
    file could not be read. Nothing was sent."""
    code_value, code_name = _abi.E_TLS, "PMP_E_TLS"


class ProtocolError(PmpError):
    """-14 PMP_E_PROTOCOL: the gateway's answer could not be understood (for
    a call that moves no money). ``retryable`` says whether to try again."""
    code_value, code_name = _abi.E_PROTOCOL, "PMP_E_PROTOCOL"


class NotFoundError(PmpError):
    """-15 PMP_E_NOT_FOUND: the order or buyer does not exist at the
    gateway."""
    code_value, code_name = _abi.E_NOT_FOUND, "PMP_E_NOT_FOUND"


class StateError(PmpError):
    """-16 PMP_E_STATE: the order's state does not allow the operation (e.g.
    a refund before capture). Nothing that moves money was sent."""
    code_value, code_name = _abi.E_STATE, "PMP_E_STATE"


class LoaderError(PmpError):
    """The plugin could not be loaded (-1001 not loadable, -1002 no
    pmp_get_api, -1003 unusable function table, -1004 configuration file
    unreadable). The codes are those of host-shim/loader/pmp_loader.h."""
    code_name = "PMP_LOADER_E_*"
    OPEN = -1001
    SYMBOL = -1002
    TABLE = -1003
    CONFIG_FILE = -1004


class MethodsFileError(LoaderError):
    """-1005: the methods file is unreadable or breaks its rules; the message
    names the file, line and key."""
    code_value, code_name = -1005, "PMP_LOADER_E_METHODS"


_BY_CODE = {cls.code_value: cls for cls in (
    InvalidArgumentError, InvalidRequestError, ConfigError, NetworkError,
    OutcomeUnknownError, GatewayError, UnsupportedError, AbiVersionError,
    ForkedError, NoMemoryError, InternalError, ConflictError, TlsError,
    ProtocolError, NotFoundError, StateError, MethodsFileError)}


def error_for_code(code, message, *, gateway_code="", retryable=False, operation=""):
    """The exception instance for an ABI (or loader) return code. A code this
    package does not know (appended to the ABI later) gives a plain
    :class:`PmpError` carrying it."""
    cls = _BY_CODE.get(code)
    if cls is None:
        cls = LoaderError if -1004 <= code <= -1001 else PmpError
    return cls(message, code=code, gateway_code=gateway_code, retryable=retryable,
               operation=operation)
