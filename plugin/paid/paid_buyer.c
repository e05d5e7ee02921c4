/* Buyer companies: enroll (SavePaidBuyer, then CheckPaidBuyer for the
 * screening state) and payer_status (CheckPaidBuyer, CheckPaidRestAmount). */
#include <stdio.h>
#include <string.h>

#include "paid_internal.h"

#define KIND_TEXT 0 /* UTF-8 text sent as Windows-31J */
#define KIND_INT 1  /* JSON integer */
#define KIND_ZIP 2
#define KIND_PHONE 3
#define KIND_ASCII 4 /* printable ASCII (e-mail, URL, codes) */

typedef struct buyer_field {
    const char *json; /* request member */
    const char *wire; /* protocol parameter */
    int kind;
    int required;
    size_t max; /* bytes in Windows-31J, or characters for ASCII kinds */
    int64_t min_int, max_int;
} buyer_field;

/* In the order SavePaidBuyer sends them (docs/protocol.md section 2). */
static const buyer_field buyer_fields[] = {
    {"company_name", "CompanyName", KIND_TEXT, 1, 100, 0, 0},
    {"company_name_kana", "CompanyNameKana", KIND_TEXT, 1, 100, 0, 0},
    {"representative_sei", "RepresentativeSei", KIND_TEXT, 0, 100, 0, 0},
    {"representative_mei", "RepresentativeMei", KIND_TEXT, 0, 100, 0, 0},
    {"representative_sei_kana", "RepresentativeSeiKana", KIND_TEXT, 0, 100, 0, 0},
    {"representative_mei_kana", "RepresentativeMeiKana", KIND_TEXT, 0, 100, 0, 0},
    {"zip_code", "ZipCode", KIND_ZIP, 1, 8, 0, 0},
    {"prefecture", "Prefecture", KIND_TEXT, 1, 100, 0, 0},
    {"address1", "Address1", KIND_TEXT, 1, 100, 0, 0},
    {"address2", "Address2", KIND_TEXT, 1, 100, 0, 0},
    {"address3", "Address3", KIND_TEXT, 0, 100, 0, 0},
    {"aux_name", "AuxName", KIND_TEXT, 0, 100, 0, 0},
    {"clerk_sei", "ClerkSei", KIND_TEXT, 0, 100, 0, 0},
    {"clerk_mei", "ClerkMei", KIND_TEXT, 0, 100, 0, 0},
    {"clerk_sei_kana", "ClerkSeiKana", KIND_TEXT, 0, 100, 0, 0},
    {"clerk_mei_kana", "ClerkMeiKana", KIND_TEXT, 0, 100, 0, 0},
    {"tel", "Tel", KIND_PHONE, 1, 13, 0, 0},
    {"fax", "Fax", KIND_PHONE, 0, 13, 0, 0},
    {"mobile_tel", "MobileTel", KIND_PHONE, 0, 13, 0, 0},
    {"email", "Email", KIND_ASCII, 1, 254, 0, 0},
    {"established_year", "EstablishedYear", KIND_INT, 0, 0, 1800, 2100},
    {"established_month", "EstablishedMonth", KIND_INT, 0, 0, 1, 12},
    {"annual_sales", "AnnualSales", KIND_INT, 0, 0, 0, 999999999999999LL},
    {"business_detail_type", "BusinessDetailType", KIND_INT, 0, 0, 0, 9999},
    {"dealing_brand", "DealingBrand", KIND_TEXT, 0, 100, 0, 0},
    {"shop_count", "ShopCount", KIND_INT, 0, 0, 0, 999999999},
    {"url1", "Url1", KIND_ASCII, 0, 200, 0, 0},
    {"url2", "Url2", KIND_ASCII, 0, 200, 0, 0},
    {"url3", "Url3", KIND_ASCII, 0, 200, 0, 0},
    {"profile", "Profile", KIND_TEXT, 0, 1000, 0, 0},
    {"closing_day", "ClosingDay", KIND_ASCII, 0, 10, 0, 0},
    {"payment_method", "PaymentMethod", KIND_ASCII, 0, 10, 0, 0},
};

#define NBUYER (sizeof(buyer_fields) / sizeof(buyer_fields[0]))

static int zip_char(char c)
{
    return gw_char_phone(c);
}

static int32_t check_shape(const buyer_field *f, const char *v, size_t len, pmp_error *err)
{
    size_t digits = 0, i;

    for (i = 0; i < len; i++)
        digits += v[i] >= '0' && v[i] <= '9';
    if (f->kind == KIND_ZIP && !(digits == 7 && (len == 7 || (len == 8 && v[3] == '-'))))
        return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "%s: must be 7 digits, optionally as NNN-NNNN", f->json);
    if (f->kind == KIND_PHONE && (digits < 10 || len < 10))
        return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "%s: must have 10 to 13 characters of digits and '-'", f->json);
    if (!strcmp(f->json, "email")) {
        const char *at = memchr(v, '@', len);

        if (!at || at == v || at == v + len - 1 || memchr(at + 1, '@', len - (size_t)(at - v) - 1))
            return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL,
                                "email: must be an e-mail address");
    }
    return PMP_OK;
}

/* Reads every buyer member into values[] (wire text) for SavePaidBuyer. */
static int32_t read_buyer(json_object *req, const char *values[NBUYER], size_t lens[NBUYER],
                          char ints[NBUYER][24], pmp_error *err)
{
    size_t i;
    int32_t rc;

    for (i = 0; i < NBUYER; i++) {
        const buyer_field *f = &buyer_fields[i];

        values[i] = NULL;
        lens[i] = 0;
        if (f->kind == KIND_INT) {
            int64_t v;
            int present;

            rc = gw_req_int(req, f->json, f->required, f->min_int, f->max_int, &v, &present, err);
            if (rc != PMP_OK)
                return rc;
            if (present) {
                paid_format_amount(v, ints[i], sizeof(ints[i]));
                values[i] = ints[i];
                lens[i] = strlen(ints[i]);
            }
            continue;
        }
        if (f->kind == KIND_TEXT)
            rc = gw_req_text(req, f->json, f->required, f->max, &values[i], &lens[i], err);
        else
            rc = gw_req_ascii(
                req, f->json, f->required,
                f->kind == KIND_ASCII ? "printable ASCII only" : "digits and '-' only",
                f->kind == KIND_ASCII ? gw_char_printable : zip_char, f->max, &values[i], err);
        if (rc != PMP_OK)
            return rc;
        if (values[i] && f->kind != KIND_TEXT) {
            lens[i] = strlen(values[i]);
            rc = check_shape(f, values[i], lens[i], err);
            if (rc != PMP_OK)
                return rc;
        }
    }
    return PMP_OK;
}

static int32_t read_buyer_id(json_object *req, const char **id, pmp_error *err)
{
    return gw_req_ascii(req, "buyer_id", 1, "A-Z a-z 0-9 - _ only", gw_char_buyer_id, 20, id, err);
}

/* CheckPaidBuyer; on success *literal and *word describe the state. The
 * call's answer stays in call (released by the caller). */
static int32_t check_buyer(paid_op *op, const char *buyer_id, gw_call *call, gw_field f[3],
                           const char **literal, const char **word)
{
    const gw_config *cfg = &op->ctx->cfg;
    int rc;

    f[0] = (gw_field){"ShopID", cfg->shop_id, strlen(cfg->shop_id)};
    f[1] = (gw_field){"ShopPass", cfg->shop_pass, strlen(cfg->shop_pass)};
    f[2] = (gw_field){"PaidBuyerID", buyer_id, strlen(buyer_id)};
    memset(call, 0, sizeof(*call));
    call->operation = "CheckPaidBuyer";
    call->fields = f;
    call->nfields = 3;
    call->idempotent = 1;
    rc = paid_call(op, call);
    if (rc != GW_CALL_OK)
        return paid_call_error(op, call, rc, 0);
    *literal = gw_resp_str(&call->resp, "BuyerStatus");
    *word = paid_map_lookup(op->ctx->paid.buyer, op->ctx->paid.nbuyer, *literal);
    if (!*word) {
        gw_logf(&op->ctx->log, PMP_LOG_WARN,
                "%s: the gateway reported buyer status '%.40s', which paid.buyer_status_map "
                "does not know; reporting status 'unknown'",
                op->name, *literal);
        *word = "unknown";
    }
    return PMP_OK;
}

int32_t paid_enroll(pmp_ctx *ctx, const char *req_text, size_t req_len, pmp_result **out,
                    pmp_error *err)
{
    const char *allowed[NBUYER + 2];
    const char *values[NBUYER];
    size_t lens[NBUYER];
    char ints[NBUYER][24];
    gw_field fields[NBUYER + 3], check_fields[3];
    gw_call save, check;
    json_object *req = NULL, *doc;
    const char *buyer_id, *literal, *word;
    paid_op op;
    size_t i;
    int32_t rc;
    int crc;

    memset(&save, 0, sizeof(save));
    memset(&check, 0, sizeof(check));
    rc = paid_op_begin(&op, ctx, "enroll", out, err);
    if (rc != PMP_OK)
        return rc;
    for (i = 0; i < NBUYER; i++)
        allowed[i] = buyer_fields[i].json;
    allowed[NBUYER] = "buyer_id";
    allowed[NBUYER + 1] = NULL;
    if ((rc = gw_req_parse(req_text, req_len, &req, err)) != PMP_OK ||
        (rc = gw_req_allowed(req, allowed, err)) != PMP_OK ||
        (rc = read_buyer_id(req, &buyer_id, err)) != PMP_OK ||
        (rc = read_buyer(req, values, lens, ints, err)) != PMP_OK)
        goto out_put;

    fields[0] = (gw_field){"ShopID", ctx->cfg.shop_id, strlen(ctx->cfg.shop_id)};
    fields[1] = (gw_field){"ShopPass", ctx->cfg.shop_pass, strlen(ctx->cfg.shop_pass)};
    fields[2] = (gw_field){"PaidBuyerID", buyer_id, strlen(buyer_id)};
    for (i = 0; i < NBUYER; i++)
        fields[i + 3] = (gw_field){buyer_fields[i].wire, values[i], lens[i]};
    save.operation = "SavePaidBuyer";
    save.fields = fields;
    save.nfields = NBUYER + 3;
    /* Saving the same buyer data again is an update, so a lost answer may be
     * resent. */
    save.idempotent = 1;
    crc = paid_call(&op, &save);
    if (crc != GW_CALL_OK) {
        rc = paid_call_error(&op, &save, crc, 1);
        goto out_release;
    }
    rc = check_buyer(&op, buyer_id, &check, check_fields, &literal, &word);
    if (rc != PMP_OK)
        goto out_release;
    doc = json_object_new_object();
    paid_json_str(doc, "buyer_id", buyer_id);
    paid_json_str(doc, "paid_id", gw_resp_str(&save.resp, "PaidID"));
    paid_json_str(doc, "gateway_buyer_status", literal);
    gw_logf(&ctx->log, PMP_LOG_INFO, "enroll: buyer %s registered, screening %s", buyer_id, word);
    rc = paid_result(&op, word, doc, out);
out_release:
    gw_call_release(&check);
    gw_call_release(&save);
out_put:
    json_object_put(req);
    paid_op_end(&op);
    return rc;
}

int32_t paid_payer_status(pmp_ctx *ctx, const char *req_text, size_t req_len, pmp_result **out,
                          pmp_error *err)
{
    static const char *const allowed[] = {"buyer_id", "amount", "tax", NULL};
    gw_field check_fields[3], rest_fields[3];
    gw_call check, rest;
    json_object *req = NULL, *doc;
    const char *buyer_id, *literal, *word;
    int64_t amount = 0, tax = 0, rest_amount = 0;
    int has_amount = 0, has_tax = 0, crc;
    paid_op op;
    int32_t rc;

    memset(&check, 0, sizeof(check));
    memset(&rest, 0, sizeof(rest));
    rc = paid_op_begin(&op, ctx, "payer_status", out, err);
    if (rc != PMP_OK)
        return rc;
    if ((rc = gw_req_parse(req_text, req_len, &req, err)) != PMP_OK ||
        (rc = gw_req_allowed(req, allowed, err)) != PMP_OK ||
        (rc = read_buyer_id(req, &buyer_id, err)) != PMP_OK ||
        (rc = gw_req_int(req, "amount", 0, 1, ctx->paid.max_amount, &amount, &has_amount, err)) !=
            PMP_OK ||
        (rc = gw_req_int(req, "tax", 0, 0, ctx->paid.max_amount, &tax, &has_tax, err)) != PMP_OK)
        goto out_put;
    if (has_tax && !has_amount) {
        rc = gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL, "tax: given without amount");
        goto out_put;
    }
    rc = check_buyer(&op, buyer_id, &check, check_fields, &literal, &word);
    if (rc != PMP_OK)
        goto out_release;
    doc = json_object_new_object();
    paid_json_str(doc, "buyer_id", buyer_id);
    paid_json_str(doc, "gateway_buyer_status", literal);
    if (!strcmp(word, "approved")) {
        rest_fields[0] = check_fields[0];
        rest_fields[1] = check_fields[1];
        rest_fields[2] = check_fields[2];
        rest.operation = "CheckPaidRestAmount";
        rest.fields = rest_fields;
        rest.nfields = 3;
        rest.idempotent = 1;
        crc = paid_call(&op, &rest);
        if (crc != GW_CALL_OK) {
            json_object_put(doc);
            rc = paid_call_error(&op, &rest, crc, 0);
            goto out_release;
        }
        if (paid_parse_amount(gw_resp_str(&rest.resp, "RestAmount"), &rest_amount) != 0) {
            json_object_put(doc);
            rc = gw_error_set(err, PMP_E_PROTOCOL, 1, NULL,
                              "payer_status: CheckPaidRestAmount gave no usable RestAmount");
            goto out_release;
        }
        paid_json_int(doc, "rest_amount", rest_amount);
    }
    if (has_amount)
        paid_json_bool(doc, "eligible", !strcmp(word, "approved") && amount + tax <= rest_amount);
    rc = paid_result(&op, word, doc, out);
out_release:
    gw_call_release(&rest);
    gw_call_release(&check);
out_put:
    json_object_put(req);
    paid_op_end(&op);
    return rc;
}
