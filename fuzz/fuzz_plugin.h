/* fuzz_plugin.h - a plugin context for fuzz targets that go through the
 * function table: its gateway is a loopback port that refuses every
 * connection (bound, never listening), so whatever passes the checks under
 * test fails with PMP_E_NETWORK and reaches nothing. Debug logging is on and
 * every line is searched for the shop password. */
#ifndef FUZZ_PLUGIN_H
#define FUZZ_PLUGIN_H

#include <stddef.h>

#include "pmp.h"

/* The shop password of every fuzz context; it must never be shown. */
#define FUZZ_SHOP_ID "tshop00000001"
#define FUZZ_SHOP_PASS "fzPw7q2x9K"

/** The table, from pmp_get_api(PMP_ABI_MAJOR). */
const pmp_api *fuzz_api(void);
/** A new context; paid_yaml is appended to the configuration (e.g. a
 *  "paid:" section) and may be "". Aborts on failure. */
pmp_ctx *fuzz_ctx_open(const char *paid_yaml);
/** Whether s[0..len) contains the shop password. */
int fuzz_has_secret(const char *s, size_t len);
/** Whether a log line with the password was seen since the last call;
 *  resets the flag. */
int fuzz_secret_logged(void);

#endif
