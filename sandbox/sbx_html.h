/* The management screen at GET /: buyers, orders, invoices, deposit
 * statements, notifications and the virtual time, as one HTML page with no
 * scripts and no external assets. Every data row and cell carries
 * data-kind / data-id / data-col / data-value attributes, so a test can read
 * the DOM and compare it with the admin JSON. */
#ifndef SBX_HTML_H
#define SBX_HTML_H

#include "sbx_app.h"
#include "sbx_http.h"

/* Fills resp with the page (store lock held, transaction open).
 * Returns 0 or -1. */
int sbx_html_page(sbx_app *app, sbx_response *resp);

#endif
