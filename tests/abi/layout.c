/* The v1 struct layouts, frozen: a host binds these by hand (ctypes, PHP
 * FFI), so any change here is an ABI break (see docs/ABI.md). x86_64/LP64. */
#include <stddef.h>

#include "pmp.h"

#if defined(__x86_64__) || defined(__aarch64__)
_Static_assert(sizeof(pmp_error) == 624, "pmp_error size");
_Static_assert(offsetof(pmp_error, gateway_code) == 16, "pmp_error.gateway_code");
_Static_assert(offsetof(pmp_error, message) == 112, "pmp_error.message");
_Static_assert(sizeof(pmp_host_services) == 48, "pmp_host_services size");
_Static_assert(offsetof(pmp_host_services, log) == 16, "pmp_host_services.log");
_Static_assert(offsetof(pmp_host_services, free) == 40, "pmp_host_services.free");
_Static_assert(sizeof(pmp_init_args) == 40, "pmp_init_args size");
_Static_assert(offsetof(pmp_init_args, config) == 8, "pmp_init_args.config");
_Static_assert(offsetof(pmp_init_args, host) == 32, "pmp_init_args.host");
_Static_assert(offsetof(pmp_api, plugin_version) == 16, "pmp_api.plugin_version");
_Static_assert(offsetof(pmp_api, init) == 32, "pmp_api.init");
_Static_assert(offsetof(pmp_api, capabilities) == 56, "pmp_api.capabilities");
_Static_assert(offsetof(pmp_api, notify) == 128, "pmp_api.notify");
_Static_assert(offsetof(pmp_api, result_free) == 160, "pmp_api.result_free");
_Static_assert(sizeof(pmp_api) == 168, "pmp_api size (v1.0)");
#endif

int main(void)
{
    return 0;
}
