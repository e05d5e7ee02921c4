/* The gateway part of the URL space: transport rules of docs/protocol.md §1
 * (POST only, form bodies, HTTP 200 with ErrCode/ErrInfo), the request log,
 * and dispatch to the Paid operations. */
#ifndef SBX_GATEWAY_H
#define SBX_GATEWAY_H

#include "sbx_app.h"
#include "sbx_http.h"

/* Handles any request outside the admin API. Takes the store lock. */
void sbx_gateway_handle(sbx_app *app, const sbx_request *req, sbx_response *resp);

#endif
