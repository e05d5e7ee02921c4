"""ctypes declarations of abi/pmp.h, bound by hand.

Every struct and function type here mirrors abi/pmp.h field for field; the
sizes are checked against the v1 layout frozen in tests/abi/layout.c when the
module is imported (see _check_layout). Nothing in this module is public API:
use pmp.Method.
"""

import ctypes
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_int32,
                    c_size_t, c_uint32, c_void_p)

ABI_MAJOR = 1

OK = 0
E_INVALID_ARG = -1
E_INVALID_REQUEST = -2
E_CONFIG = -3
E_NETWORK = -4
E_OUTCOME_UNKNOWN = -5
E_GATEWAY = -6
E_UNSUPPORTED = -7
E_ABI_VERSION = -8
E_FORKED = -9
E_NOMEM = -10
E_INTERNAL = -11
E_CONFLICT = -12
E_TLS = -13
E_PROTOCOL = -14
E_NOT_FOUND = -15
E_STATE = -16

LOG_ERROR = 1
LOG_WARN = 2
LOG_INFO = 3
LOG_DEBUG = 4


class Error(Structure):
    """struct pmp_error: caller-owned, filled by the plugin on failure."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("code", c_int32),
        ("retryable", c_int32),
        ("reserved", c_int32),
        ("gateway_code", c_char * 96),
        ("message", c_char * 512),
    ]

    @classmethod
    def new(cls):
        err = cls()
        err.struct_size = ctypes.sizeof(cls)
        return err


# void (*log)(void *user_data, int32_t level, const char *msg, size_t len)
# msg is given with a length: bind it as a raw pointer, not c_char_p, so that
# ctypes does not scan for a NUL that the contract does not promise.
LOG_FN = CFUNCTYPE(None, c_void_p, c_int32, POINTER(c_char), c_size_t)
ALLOC_FN = CFUNCTYPE(c_void_p, c_void_p, c_size_t)
REALLOC_FN = CFUNCTYPE(c_void_p, c_void_p, c_void_p, c_size_t)
FREE_FN = CFUNCTYPE(None, c_void_p, c_void_p)


class HostServices(Structure):
    """struct pmp_host_services: lent to the plugin until shutdown."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("reserved", c_uint32),
        ("user_data", c_void_p),
        ("log", LOG_FN),
        ("alloc", ALLOC_FN),
        ("realloc", REALLOC_FN),
        ("free", FREE_FN),
    ]


class InitArgs(Structure):
    """struct pmp_init_args."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("flags", c_uint32),
        # A pointer into a buffer we own (so it can be wiped after init),
        # hence c_void_p rather than c_char_p.
        ("config", c_void_p),
        ("config_len", c_size_t),
        ("config_origin", c_char_p),
        ("host", POINTER(HostServices)),
    ]


# int32_t op(pmp_ctx *ctx, const char *request, size_t request_len,
#            pmp_result **out, pmp_error *err)
OPERATION_FN = CFUNCTYPE(c_int32, c_void_p, c_char_p, c_size_t,
                         POINTER(c_void_p), POINTER(Error))
INIT_FN = CFUNCTYPE(c_int32, POINTER(InitArgs), POINTER(c_void_p), POINTER(Error))
SHUTDOWN_FN = CFUNCTYPE(None, c_void_p)
STRERROR_FN = CFUNCTYPE(c_char_p, c_int32)
NOTIFY_FN = CFUNCTYPE(c_int32, c_void_p, c_char_p, c_size_t, c_char_p, c_size_t,
                      POINTER(c_void_p), POINTER(Error))
RESULT_STATUS_FN = CFUNCTYPE(c_char_p, c_void_p)
# Returns a borrowed pointer with a length: raw pointer, read with string_at.
RESULT_JSON_FN = CFUNCTYPE(c_void_p, c_void_p, POINTER(c_size_t))
RESULT_GATEWAY_ERRORS_FN = CFUNCTYPE(c_char_p, c_void_p)
RESULT_FREE_FN = CFUNCTYPE(None, c_void_p)


class Api(Structure):
    """struct pmp_api, version 1.0. Read-only, owned by the plugin."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("abi_major", c_uint32),
        ("abi_minor", c_uint32),
        ("reserved0", c_uint32),
        ("plugin_version", c_char_p),
        ("method_name", c_char_p),
        ("init", INIT_FN),
        ("shutdown", SHUTDOWN_FN),
        ("strerror", STRERROR_FN),
        ("capabilities", OPERATION_FN),
        ("enroll", OPERATION_FN),
        ("payer_status", OPERATION_FN),
        ("authorize", OPERATION_FN),
        ("capture", OPERATION_FN),
        ("void_order", OPERATION_FN),
        ("refund", OPERATION_FN),
        ("adjust", OPERATION_FN),
        ("status", OPERATION_FN),
        ("notify", NOTIFY_FN),
        ("result_status", RESULT_STATUS_FN),
        ("result_json", RESULT_JSON_FN),
        ("result_gateway_errors", RESULT_GATEWAY_ERRORS_FN),
        ("result_free", RESULT_FREE_FN),
    ]


GET_API_FN = CFUNCTYPE(c_int32, c_uint32, POINTER(POINTER(Api)))

#: Every version-1 member, in table order; a host checks all are non-NULL.
V1_MEMBERS = tuple(name for name, _ in Api._fields_[4:])
#: Size of the v1 table: up to and including result_free.
V1_API_SIZE = Api.result_free.offset + ctypes.sizeof(c_void_p)


def _check_layout():
    """The frozen v1 layout of tests/abi/layout.c, on LP64 platforms."""
    if ctypes.sizeof(c_void_p) != 8:
        return
    expected = [
        (ctypes.sizeof(Error), 624), (Error.gateway_code.offset, 16),
        (Error.message.offset, 112), (ctypes.sizeof(HostServices), 48),
        (HostServices.log.offset, 16), (HostServices.free.offset, 40),
        (ctypes.sizeof(InitArgs), 40), (InitArgs.config.offset, 8),
        (InitArgs.host.offset, 32), (Api.plugin_version.offset, 16),
        (Api.init.offset, 32), (Api.capabilities.offset, 56), (Api.notify.offset, 128),
        (Api.result_free.offset, 160), (ctypes.sizeof(Api), 168),
    ]
    for got, want in expected:
        if got != want:  # a binding bug, not a user error: fail loudly
            raise ImportError(f"pmp: ctypes layout of pmp.h is wrong ({got} != {want})")


_check_layout()
