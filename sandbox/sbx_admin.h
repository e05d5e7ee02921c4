/* The sandbox's own API under /_sandbox/ (JSON) and the management page at
 * / (HTML). Documented in sandbox/README.md. */
#ifndef SBX_ADMIN_H
#define SBX_ADMIN_H

#include "sbx_app.h"
#include "sbx_http.h"

#include <stdbool.h>

/* True for "/" and "/_sandbox/..." */
bool sbx_admin_owns(const char *path);
/* Takes the store lock itself. */
void sbx_admin_handle(sbx_app *app, const sbx_request *req, sbx_response *resp);

#endif
