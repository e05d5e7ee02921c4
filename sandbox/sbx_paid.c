#include "sbx_paid.h"

#include "sbx_clock.h"
#include "sbx_events.h"
#include "sbx_fields.h"
#include "sbx_log.h"
#include "sbx_notify.h"
#include "sbx_settle.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Status literals of docs/protocol.md §4. */
#define ST_UNPROCESSED "UNPROCESSED"
#define ST_AUTHPROCESS "AUTHPROCESS"
#define ST_AUTH "AUTH"
#define ST_SALES "SALES"
#define ST_CANCEL "CANCEL"
#define ST_RETURN "RETURN"
#define ST_PAYFAIL "PAYFAIL"

#define BS_EXAMINATION "EXAMINATION"
#define BS_AVAILABLE "AVAILABLE"
#define BS_UNAVAILABLE "UNAVAILABLE"

/* Business and state errors of docs/protocol.md §5. */
#define ERR_SHOP_MISMATCH "E01010010"
#define ERR_ORDER_EXISTS "E01040010"
#define ERR_ACCESS_MISMATCH "E01050002"
#define ERR_BUYER_UNKNOWN "M01200002"
#define ERR_BAD_STATE "M01054004"
#define ERR_NO_TRADE "M01058002"
#define ERR_SCREENING "P01010002"
#define ERR_BUYER_BLOCKED "P01010003"
#define ERR_CREDIT_LINE "P01020001"
#define ERR_REVIEW_REFUSED "P01030001"

#define DEFAULT_LINE 1000000
#define SMALL_LINE 300000
#define CREDIT_LINE_MIN 300000
#define CREDIT_LINE_MAX 10000000

/* ---- parameter tables (order = docs/protocol.md §2, which is also the
 * order of the ErrInfo list) ------------------------------------------------ */

#define P_SHOP                                             \
    {"ShopID", SBX_R_SHOP_ID, true, 0, "E01010"},          \
    {"ShopPass", SBX_R_SHOP_PASS, true, 0, "E01020"}
/* AccessID and AccessPass share one code pair: the table of §5 names a
 * single "AccessID missing / no such AccessID+AccessPass" family. */
#define P_ACCESS                                           \
    {"AccessID", SBX_R_ACCESS, true, 0, "E01050"},         \
    {"AccessPass", SBX_R_ACCESS, true, 0, "E01050"}
#define P_ORDER {"OrderID", SBX_R_ORDER_ID, true, 0, "E01040"}
#define P_AMOUNT {"Amount", SBX_R_AMOUNT, true, 0, "E01060"}
#define P_TAX {"Tax", SBX_R_TAX, false, 0, "E01070"}
#define P_BUYER {"PaidBuyerID", SBX_R_BUYER_ID, true, 0, "M01200"}
#define TEXT(name, req, max, code) {name, SBX_R_TEXT, req, max, code}

/* Field numbers of the M012NN prefixes: the required buyer fields are
 * 201-208 in table order, FixedAt is 210 (docs/protocol.md §5), the optional
 * buyer fields 211-234, Contents 240, PayType 250 (sandbox/README.md). */
static const sbx_param p_save_buyer[] = {
    P_SHOP,
    P_BUYER,
    TEXT("CompanyName", true, 100, "M01201"),
    TEXT("CompanyNameKana", true, 100, "M01202"),
    TEXT("RepresentativeSei", false, 100, "M01211"),
    TEXT("RepresentativeMei", false, 100, "M01212"),
    TEXT("RepresentativeSeiKana", false, 100, "M01213"),
    TEXT("RepresentativeMeiKana", false, 100, "M01214"),
    {"ZipCode", SBX_R_ZIP, true, 0, "M01203"},
    TEXT("Prefecture", true, 100, "M01204"),
    TEXT("Address1", true, 100, "M01205"),
    TEXT("Address2", true, 100, "M01206"),
    TEXT("Address3", false, 100, "M01215"),
    TEXT("AuxName", false, 100, "M01216"),
    TEXT("ClerkSei", false, 100, "M01217"),
    TEXT("ClerkMei", false, 100, "M01218"),
    TEXT("ClerkSeiKana", false, 100, "M01219"),
    TEXT("ClerkMeiKana", false, 100, "M01220"),
    {"Tel", SBX_R_TEL, true, 0, "M01207"},
    {"Fax", SBX_R_TEL, false, 0, "M01221"},
    {"MobileTel", SBX_R_TEL, false, 0, "M01222"},
    {"Email", SBX_R_EMAIL, true, 0, "M01208"},
    TEXT("EstablishedYear", false, 100, "M01223"),
    TEXT("EstablishedMonth", false, 100, "M01224"),
    TEXT("AnnualSales", false, 100, "M01225"),
    TEXT("BusinessDetailType", false, 100, "M01226"),
    TEXT("DealingBrand", false, 100, "M01227"),
    TEXT("ShopCount", false, 100, "M01228"),
    TEXT("Url1", false, 100, "M01229"),
    TEXT("Url2", false, 100, "M01230"),
    TEXT("Url3", false, 100, "M01231"),
    TEXT("Profile", false, 1000, "M01232"),
    TEXT("ClosingDay", false, 100, "M01233"),
    TEXT("PaymentMethod", false, 100, "M01234"),
};
/* The buyer data stored as JSON: everything after ShopID, ShopPass, PaidBuyerID. */
#define BUYER_DATA_FIRST 3

static const sbx_param p_buyer_only[] = {P_SHOP, P_BUYER};
static const sbx_param p_entry[] = {P_SHOP, P_ORDER, P_AMOUNT, P_TAX};
static const sbx_param p_exec[] = {
    P_SHOP,
    P_ACCESS,
    P_ORDER,
    P_BUYER,
    {"ClientField1", SBX_R_CLIENT_FIELD, false, 100, "E01320"},
    {"ClientField2", SBX_R_CLIENT_FIELD, false, 100, "E01330"},
    {"ClientField3", SBX_R_CLIENT_FIELD, false, 100, "E01340"},
    {"ClientFieldFlag", SBX_R_CLIENT_FLAG, false, 0, "E01400"},
    /* Echoed raw as PaidContents, hence the client-field rule (no '&'). */
    {"Contents", SBX_R_CLIENT_FIELD, false, 400, "M01240"},
};
static const sbx_param p_sales[] = {
    P_SHOP, P_ACCESS, P_ORDER, {"FixedAt", SBX_R_FIXED_AT, false, 0, "M01210"},
};
static const sbx_param p_change[] = {P_SHOP, P_ACCESS, P_ORDER, P_AMOUNT, P_TAX};
static const sbx_param p_access_order[] = {P_SHOP, P_ACCESS, P_ORDER};
static const sbx_param p_search[] = {
    P_SHOP, P_ORDER, {"PayType", SBX_R_PAY_TYPE, true, 0, "M01250"},
};

/* ---- operation context ----------------------------------------------------- */

typedef struct opctx {
    sbx_app *app;
    sbx_store *store;
    const sbx_form *form;
    sbx_reply *reply;
    sbx_logrow *log;
    int64_t now;
} opctx;

/* The UTF-8 value of a field; "" when absent. Only used after validation,
 * which guarantees the value converted. */
static const char *val(const opctx *c, const char *name)
{
    const sbx_field *f = sbx_form_get(c->form, name);
    return f != NULL && f->utf8 != NULL ? f->utf8 : "";
}

static int64_t amount_of(const opctx *c, const char *name)
{
    return sbx_field_amount(val(c, name));
}

static void add_error(opctx *c, const char *err_info)
{
    sbx_reply_error(c->reply, err_info);
}

/* Bounded copy into the fixed-size identifier fields of the records; every
 * value copied here was validated to fit, so truncation cannot happen. */
static void copy_str(char *dst, size_t n, const char *src)
{
    size_t len = strnlen(src, n - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static int replace_str(char **dst, const char *src)
{
    char *p = strdup(src);
    if (p == NULL)
        return -1;
    free(*dst);
    *dst = p;
    return 0;
}

/* 32 lowercase hex characters from the CSPRNG: AccessID and AccessPass
 * must not be guessable (the pass is the only secret of a transaction). */
static int random_hex32(char out[33])
{
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 0x0f];
    }
    out[32] = '\0';
    OPENSSL_cleanse(raw, sizeof raw);
    return 0;
}

static bool validate(opctx *c, const sbx_param *params, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char err[10];
        if (!sbx_field_check(&params[i], sbx_form_get(c->form, params[i].name), err))
            add_error(c, err);
    }
    return !sbx_reply_has_errors(c->reply);
}

static bool secret_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

static bool shop_authenticated(opctx *c)
{
    const char *id = val(c, "ShopID");
    const char *pass = val(c, "ShopPass");
    for (size_t i = 0; i < c->app->nshops; i++)
        if (strcmp(c->app->shops[i].id, id) == 0)
            return secret_equal(c->app->shops[i].pass, pass);
    return false;
}

static void lower_copy(char *dst, size_t n, const char *src)
{
    size_t i = 0;
    for (; src[i] != '\0' && i + 1 < n; i++)
        dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? (char)(src[i] - 'A' + 'a') : src[i];
    dst[i] = '\0';
}

/* Loads the order named by OrderID and checks AccessID/AccessPass.
 * Returns 1 loaded (t must be cleared), 0 error reported, -1 internal. */
static int load_order(opctx *c, sbx_txn *t)
{
    int rc = sbx_store_txn_get(c->store, val(c, "ShopID"), val(c, "OrderID"), t);
    if (rc <= 0) {
        if (rc == 0)
            add_error(c, ERR_NO_TRADE);
        return rc;
    }
    char id[40], pass[40];
    lower_copy(id, sizeof id, val(c, "AccessID"));
    lower_copy(pass, sizeof pass, val(c, "AccessPass"));
    if (strcmp(id, t->access_id) != 0 || !secret_equal(pass, t->access_pass)) {
        OPENSSL_cleanse(pass, sizeof pass);
        sbx_txn_clear(t);
        add_error(c, ERR_ACCESS_MISMATCH);
        return 0;
    }
    OPENSSL_cleanse(pass, sizeof pass);
    copy_str(c->log->buyer_id, sizeof c->log->buyer_id, t->buyer_id);
    return 1;
}

static bool status_is(const sbx_txn *t, const char *status)
{
    return strcmp(t->status, status) == 0;
}

/* status or job NULL: unchanged. */
static void set_status(sbx_txn *t, const char *status, const char *job, int64_t now)
{
    if (status != NULL)
        copy_str(t->status, sizeof t->status, status);
    if (job != NULL)
        copy_str(t->job_cd, sizeof t->job_cd, job);
    t->updated_at = now;
}

/* Moves delta (positive: reserve, negative: release) on the line of the
 * order's buyer. */
static int move_reservation(sbx_store *s, sbx_txn *t, int64_t new_reserved, int64_t now)
{
    int64_t delta = new_reserved - t->reserved;
    if (delta == 0)
        return 0;
    sbx_buyer b;
    int rc = sbx_store_buyer_get(s, t->shop_id, t->buyer_id, &b);
    if (rc <= 0) {
        sbx_log_error("order %s: buyer %s missing", t->order_id, t->buyer_id);
        return -1;
    }
    b.reserved += delta;
    if (b.reserved < 0)
        b.reserved = 0;
    b.updated_at = now;
    rc = sbx_store_buyer_save(s, &b);
    sbx_buyer_clear(&b);
    if (rc == 0)
        t->reserved = new_reserved;
    return rc;
}

static int64_t rest_amount(const sbx_buyer *b)
{
    if (strcmp(b->status, BS_AVAILABLE) != 0)
        return 0;
    int64_t rest = b->credit_line - b->reserved;
    return rest > 0 ? rest : 0;
}

/* ---- screening ------------------------------------------------------------ */

typedef struct screening {
    const char *status;
    int64_t line;
    bool order_review;
    bool deferred;  /* EXAMINATION now, AVAILABLE one virtual day later */
} screening;

static bool has_prefix_ci(const char *s, size_t n, const char *prefix)
{
    size_t p = strlen(prefix);
    return n >= p && strncasecmp(s, prefix, p) == 0;
}

/* docs/protocol.md §6: decided by the local part of Email. */
static screening decide_screening(const char *email)
{
    const char *at = strchr(email, '@');
    size_t n = at != NULL ? (size_t)(at - email) : strlen(email);
    screening sc = {BS_AVAILABLE, DEFAULT_LINE, false, false};
    if (has_prefix_ci(email, n, "reject")) {
        sc.status = BS_UNAVAILABLE;
        sc.line = 0;
    } else if (has_prefix_ci(email, n, "orderreview")) {
        sc.order_review = true;
    } else if (has_prefix_ci(email, n, "review")) {
        sc.status = BS_EXAMINATION;
        sc.deferred = true;
    } else if (has_prefix_ci(email, n, "small")) {
        sc.line = SMALL_LINE;
    } else if (has_prefix_ci(email, n, "line") && n > 4 && email[4] >= '0' &&
               email[4] <= '9') {
        int64_t v = 0;
        for (size_t i = 4; i < n && email[i] >= '0' && email[i] <= '9'; i++)
            v = v > CREDIT_LINE_MAX ? v : v * 10 + (email[i] - '0');
        sc.line = v < CREDIT_LINE_MIN ? CREDIT_LINE_MIN : v > CREDIT_LINE_MAX ? CREDIT_LINE_MAX : v;
    }
    return sc;
}

int sbx_paid_event_screening(sbx_app *app, const sbx_event *ev, sbx_event_out *out)
{
    sbx_buyer b;
    sbx_event_out_id(out, "buyer_id", ev->ref);
    int rc = sbx_store_buyer_get(app->store, ev->shop_id, ev->ref, &b);
    if (rc < 0)
        return -1;
    if (rc == 0 || strcmp(b.status, BS_EXAMINATION) != 0) {
        /* Deleted by a reset or changed by an operator meanwhile. */
        (void)snprintf(out->result, sizeof out->result, "skipped");
        sbx_buyer_clear(&b);
        return 0;
    }
    copy_str(b.status, sizeof b.status, ev->payload[0] != '\0' ? ev->payload : BS_AVAILABLE);
    b.updated_at = ev->due_at;
    rc = sbx_store_buyer_save(app->store, &b);
    (void)snprintf(out->result, sizeof out->result, "%s", b.status);
    sbx_buyer_clear(&b);
    return rc;
}

int sbx_paid_event_order_review(sbx_app *app, const sbx_event *ev, sbx_event_out *out)
{
    sbx_txn t;
    sbx_event_out_id(out, "order_id", ev->ref);
    int rc = sbx_store_txn_get(app->store, ev->shop_id, ev->ref, &t);
    if (rc < 0)
        return -1;
    if (rc == 0 || !status_is(&t, ST_AUTHPROCESS)) {
        /* Cancelled while under review: nothing left to decide. */
        (void)snprintf(out->result, sizeof out->result, "skipped");
        sbx_txn_clear(&t);
        return 0;
    }
    sbx_event_out_id(out, "buyer_id", t.buyer_id);
    sbx_event_out_amount(out, t.amount + t.tax);
    /* §6: approved unless the amount ends in 9. */
    bool refused = t.amount % 10 == 9;
    if (refused) {
        rc = move_reservation(app->store, &t, 0, ev->due_at);
        set_status(&t, ST_PAYFAIL, NULL, ev->due_at);
    } else {
        rc = 0;
        set_status(&t, ST_AUTH, NULL, ev->due_at);
    }
    /* §7: the decision is a state change the merchant hears about. */
    if (rc == 0)
        rc = sbx_store_txn_save(app->store, &t);
    if (rc == 0)
        rc = sbx_notify_queue_txn(app, &t, ev->due_at, refused ? ERR_REVIEW_REFUSED : "");
    (void)snprintf(out->result, sizeof out->result, "%s", t.status);
    sbx_txn_clear(&t);
    return rc;
}

int sbx_paid_release(sbx_store *s, sbx_txn *t, int64_t now)
{
    if (t->reserved == 0)
        return 0;
    if (move_reservation(s, t, 0, now) != 0)
        return -1;
    return sbx_store_txn_save(s, t);
}

/* ---- operations ------------------------------------------------------------- */

static char *buyer_data_json(const opctx *c)
{
    json_object *o = json_object_new_object();
    if (o == NULL)
        return NULL;
    char *out = NULL;
    size_t n = sizeof p_save_buyer / sizeof p_save_buyer[0];
    for (size_t i = BUYER_DATA_FIRST; i < n; i++) {
        json_object *v = json_object_new_string(val(c, p_save_buyer[i].name));
        if (v == NULL || json_object_object_add(o, p_save_buyer[i].name, v) != 0) {
            json_object_put(v);
            goto put_object;
        }
    }
    out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
put_object:
    json_object_put(o);
    return out;
}

static int op_save_buyer(opctx *c)
{
    const char *shop = val(c, "ShopID");
    const char *buyer_id = val(c, "PaidBuyerID");
    sbx_buyer b;
    int rc = sbx_store_buyer_get(c->store, shop, buyer_id, &b);
    if (rc < 0)
        return -1;
    char *data = buyer_data_json(c);
    if (data == NULL)
        goto free_buyer;
    if (rc == 1) {
        /* An update keeps the screening result: Paid screens a company
         * once; changed contact data does not restart it. */
        free(b.data_json);
        b.data_json = data;
        data = NULL;
        if (replace_str(&b.company_name, val(c, "CompanyName")) != 0 ||
            replace_str(&b.email, val(c, "Email")) != 0)
            goto free_buyer;
        b.updated_at = c->now;
        /* A ClosingDay sent again is a change of the closing rule. */
        const char *closing_day = val(c, "ClosingDay");
        if (closing_day[0] != '\0' &&
            sbx_settle_set_closing(c->app, &b,
                                   sbx_closing_from_field(closing_day, b.closing),
                                   c->now) != 0)
            goto free_buyer;
        if (sbx_store_buyer_save(c->store, &b) != 0)
            goto free_buyer;
    } else {
        screening sc = decide_screening(val(c, "Email"));
        copy_str(b.shop_id, sizeof b.shop_id, shop);
        copy_str(b.buyer_id, sizeof b.buyer_id, buyer_id);
        copy_str(b.status, sizeof b.status, sc.status);
        b.credit_line = sc.line;
        b.order_review = sc.order_review;
        b.closing = sbx_closing_from_field(val(c, "ClosingDay"),
                                           c->app->rules->closing_default);
        sbx_payment_from_email(c->app->rules, val(c, "Email"), b.payment, sizeof b.payment);
        b.data_json = data;
        data = NULL;
        b.company_name = strdup(val(c, "CompanyName"));
        b.email = strdup(val(c, "Email"));
        b.created_at = b.updated_at = c->now;
        if (b.company_name == NULL || b.email == NULL ||
            sbx_store_buyer_insert(c->store, &b) != 0 ||
            sbx_settle_buyer_added(c->app, &b, c->now) != 0)
            goto free_buyer;
        if (sc.deferred && sbx_store_event_add(c->store, SBX_EV_SCREENING, shop, buyer_id,
                                               BS_AVAILABLE, c->now + SBX_DAY_S) != 0)
            goto free_buyer;
    }
    sbx_reply_add(c->reply, "PaidBuyerID", b.buyer_id);
    sbx_reply_add(c->reply, "PaidID", b.paid_id);
    sbx_buyer_clear(&b);
    return 0;
free_buyer:
    free(data);
    sbx_buyer_clear(&b);
    return -1;
}

/* Loads the buyer named by PaidBuyerID; 1 loaded, 0 error reported, -1 internal. */
static int load_buyer(opctx *c, sbx_buyer *b)
{
    int rc = sbx_store_buyer_get(c->store, val(c, "ShopID"), val(c, "PaidBuyerID"), b);
    if (rc == 0)
        add_error(c, ERR_BUYER_UNKNOWN);
    return rc;
}

static int op_check_buyer(opctx *c)
{
    sbx_buyer b;
    int rc = load_buyer(c, &b);
    if (rc <= 0)
        return rc;
    sbx_reply_add(c->reply, "PaidBuyerID", b.buyer_id);
    sbx_reply_add(c->reply, "BuyerStatus", b.status);
    sbx_buyer_clear(&b);
    return 0;
}

static int op_rest_amount(opctx *c)
{
    sbx_buyer b;
    int rc = load_buyer(c, &b);
    if (rc <= 0)
        return rc;
    sbx_reply_add(c->reply, "PaidBuyerID", b.buyer_id);
    sbx_reply_add_int(c->reply, "RestAmount", rest_amount(&b));
    sbx_buyer_clear(&b);
    return 0;
}

static int op_entry(opctx *c)
{
    sbx_txn t;
    int rc = sbx_store_txn_get(c->store, val(c, "ShopID"), val(c, "OrderID"), &t);
    sbx_txn_clear(&t);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        add_error(c, ERR_ORDER_EXISTS);
        return 0;
    }
    if (sbx_txn_init(&t) != 0)
        return -1;
    int result = -1;
    copy_str(t.shop_id, sizeof t.shop_id, val(c, "ShopID"));
    copy_str(t.order_id, sizeof t.order_id, val(c, "OrderID"));
    if (random_hex32(t.access_id) != 0 || random_hex32(t.access_pass) != 0)
        goto clear_txn;
    copy_str(t.status, sizeof t.status, ST_UNPROCESSED);
    t.amount = amount_of(c, "Amount");
    t.tax = amount_of(c, "Tax");
    t.created_at = t.updated_at = c->now;
    if (sbx_store_txn_insert(c->store, &t) != 0)
        goto clear_txn;
    sbx_reply_add(c->reply, "AccessID", t.access_id);
    sbx_reply_add(c->reply, "AccessPass", t.access_pass);
    result = 0;
clear_txn:
    OPENSSL_cleanse(t.access_pass, sizeof t.access_pass);
    sbx_txn_clear(&t);
    return result;
}

static void reply_order_status(opctx *c, const sbx_txn *t)
{
    sbx_reply_add(c->reply, "OrderID", t->order_id);
    sbx_reply_add(c->reply, "Status", t->status);
}

static int op_exec(opctx *c)
{
    sbx_txn t;
    int rc = load_order(c, &t);
    if (rc <= 0)
        return rc;
    int result = -1;
    sbx_buyer b;
    memset(&b, 0, sizeof b);
    copy_str(c->log->buyer_id, sizeof c->log->buyer_id, val(c, "PaidBuyerID"));
    if (!status_is(&t, ST_UNPROCESSED)) {
        add_error(c, ERR_BAD_STATE);
        result = 0;
        goto clear_txn;
    }
    rc = load_buyer(c, &b);
    if (rc <= 0) {
        result = rc;
        goto clear_txn;
    }
    /* Declines leave the order UNPROCESSED so the merchant may retry
     * (e.g. after screening finishes) with the same AccessID. */
    int64_t total = t.amount + t.tax;
    if (strcmp(b.status, BS_EXAMINATION) == 0) {
        add_error(c, ERR_SCREENING);
    } else if (strcmp(b.status, BS_AVAILABLE) != 0) {
        add_error(c, ERR_BUYER_BLOCKED);
    } else if (total > rest_amount(&b)) {
        add_error(c, ERR_CREDIT_LINE);
    }
    if (sbx_reply_has_errors(c->reply)) {
        result = 0;
        goto clear_buyer;
    }

    copy_str(t.buyer_id, sizeof t.buyer_id, b.buyer_id);
    if (replace_str(&t.contents, val(c, "Contents")) != 0 ||
        replace_str(&t.client_field[0], val(c, "ClientField1")) != 0 ||
        replace_str(&t.client_field[1], val(c, "ClientField2")) != 0 ||
        replace_str(&t.client_field[2], val(c, "ClientField3")) != 0)
        goto clear_buyer;
    (void)snprintf(t.paid_code, sizeof t.paid_code, "PC%010lld",
                   (long long)(1000000000 + t.id % 9000000000LL));
    b.reserved += total;
    b.updated_at = c->now;
    t.reserved = total;
    set_status(&t, b.order_review ? ST_AUTHPROCESS : ST_AUTH, "AUTH", c->now);
    if (sbx_store_buyer_save(c->store, &b) != 0 || sbx_store_txn_save(c->store, &t) != 0)
        goto clear_buyer;
    if (b.order_review && sbx_store_event_add(c->store, SBX_EV_ORDER_REVIEW, t.shop_id,
                                              t.order_id, "", c->now + SBX_DAY_S) != 0)
        goto clear_buyer;

    reply_order_status(c, &t);
    if (strcmp(val(c, "ClientFieldFlag"), "1") == 0) {
        sbx_reply_add(c->reply, "ClientField1", t.client_field[0]);
        sbx_reply_add(c->reply, "ClientField2", t.client_field[1]);
        sbx_reply_add(c->reply, "ClientField3", t.client_field[2]);
    }
    result = 0;
clear_buyer:
    sbx_buyer_clear(&b);
clear_txn:
    sbx_txn_clear(&t);
    return result;
}

static int op_sales(opctx *c)
{
    sbx_txn t;
    int rc = load_order(c, &t);
    if (rc <= 0)
        return rc;
    int result = 0;
    if (!status_is(&t, ST_AUTH)) {
        add_error(c, ERR_BAD_STATE);
        goto clear_txn;
    }
    const char *fixed = val(c, "FixedAt");
    if (fixed[0] != '\0')
        copy_str(t.fixed_at, sizeof t.fixed_at, fixed);
    else
        sbx_time_date8(c->now, t.fixed_at, sizeof t.fixed_at);
    /* The line stays reserved until the buyer pays the invoice. */
    set_status(&t, ST_SALES, "SALES", c->now);
    result = sbx_store_txn_save(c->store, &t);
    if (result == 0)
        result = sbx_notify_queue_txn(c->app, &t, c->now, "");
    if (result == 0)
        reply_order_status(c, &t);
clear_txn:
    sbx_txn_clear(&t);
    return result;
}

static int op_change(opctx *c)
{
    sbx_txn t;
    int rc = load_order(c, &t);
    if (rc <= 0)
        return rc;
    int result = 0;
    int64_t amount = amount_of(c, "Amount");
    int64_t tax = amount_of(c, "Tax");
    int64_t total = amount + tax;
    if (status_is(&t, ST_AUTH)) {
        int64_t increase = total - t.reserved;
        if (increase > 0) {
            sbx_buyer b;
            rc = sbx_store_buyer_get(c->store, t.shop_id, t.buyer_id, &b);
            if (rc <= 0) {
                result = -1;
                goto clear_txn;
            }
            if (strcmp(b.status, BS_AVAILABLE) != 0)
                add_error(c, ERR_BUYER_BLOCKED);
            else if (increase > rest_amount(&b))
                add_error(c, ERR_CREDIT_LINE);
            sbx_buyer_clear(&b);
            if (sbx_reply_has_errors(c->reply))
                goto clear_txn;
        }
    } else if (status_is(&t, ST_SALES)) {
        /* After the sale is fixed only a partial return (decrease) fits. */
        if (total > t.amount + t.tax) {
            add_error(c, ERR_BAD_STATE);
            goto clear_txn;
        }
    } else {
        add_error(c, ERR_BAD_STATE);
        goto clear_txn;
    }
    /* After the sale the reservation only shrinks: an invoice already
     * paid holds nothing, and a lowering must not take line back. */
    int64_t reserve = status_is(&t, ST_SALES) && t.reserved < total ? t.reserved : total;
    if (move_reservation(c->store, &t, reserve, c->now) != 0) {
        result = -1;
        goto clear_txn;
    }
    t.amount = amount;
    t.tax = tax;
    set_status(&t, NULL, "CHANGE", c->now);
    if (sbx_settle_order_changed(c->app, &t, c->now) != 0 ||
        sbx_store_txn_save(c->store, &t) != 0 ||
        sbx_notify_queue_txn(c->app, &t, c->now, "") != 0) {
        result = -1;
        goto clear_txn;
    }
    reply_order_status(c, &t);
clear_txn:
    sbx_txn_clear(&t);
    return result;
}

/* PaidCancel and PaidReturn: whole-order reversal from the allowed states. */
static int reverse_order(opctx *c, const char *from1, const char *from2, const char *to)
{
    sbx_txn t;
    int rc = load_order(c, &t);
    if (rc <= 0)
        return rc;
    int result = 0;
    if (!status_is(&t, from1) && (from2 == NULL || !status_is(&t, from2))) {
        add_error(c, ERR_BAD_STATE);
        goto clear_txn;
    }
    if (move_reservation(c->store, &t, 0, c->now) != 0) {
        result = -1;
        goto clear_txn;
    }
    t.has_cancel = true;
    t.cancel_amount = t.amount;
    t.cancel_tax = t.tax;
    set_status(&t, to, to, c->now);
    if (sbx_settle_order_changed(c->app, &t, c->now) != 0 ||
        sbx_store_txn_save(c->store, &t) != 0 ||
        sbx_notify_queue_txn(c->app, &t, c->now, "") != 0) {
        result = -1;
        goto clear_txn;
    }
    reply_order_status(c, &t);
clear_txn:
    sbx_txn_clear(&t);
    return result;
}

static int op_cancel(opctx *c)
{
    return reverse_order(c, ST_AUTH, ST_AUTHPROCESS, ST_CANCEL);
}

static int op_return(opctx *c)
{
    return reverse_order(c, ST_SALES, NULL, ST_RETURN);
}

static int op_search(opctx *c)
{
    sbx_txn t;
    int rc = sbx_store_txn_get(c->store, val(c, "ShopID"), val(c, "OrderID"), &t);
    if (rc <= 0) {
        if (rc == 0)
            add_error(c, ERR_NO_TRADE);
        return rc;
    }
    copy_str(c->log->buyer_id, sizeof c->log->buyer_id, t.buyer_id);
    char date[16];
    sbx_time_compact(t.updated_at, date, sizeof date);
    char cancel_amount[24] = "", cancel_tax[24] = "";
    if (t.has_cancel) {
        (void)snprintf(cancel_amount, sizeof cancel_amount, "%lld", (long long)t.cancel_amount);
        (void)snprintf(cancel_tax, sizeof cancel_tax, "%lld", (long long)t.cancel_tax);
    }
    sbx_reply *r = c->reply;
    sbx_reply_add(r, "OrderID", t.order_id);
    sbx_reply_add(r, "Status", t.status);
    sbx_reply_add(r, "ProcessDate", date);
    sbx_reply_add(r, "JobCd", t.job_cd);
    sbx_reply_add(r, "AccessID", t.access_id);
    sbx_reply_add(r, "AccessPass", t.access_pass);
    sbx_reply_add_int(r, "Amount", t.amount);
    sbx_reply_add_int(r, "Tax", t.tax);
    sbx_reply_add(r, "ClientField1", t.client_field[0]);
    sbx_reply_add(r, "ClientField2", t.client_field[1]);
    sbx_reply_add(r, "ClientField3", t.client_field[2]);
    sbx_reply_add(r, "PayType", "29");
    sbx_reply_add(r, "PaidCancelAmount", cancel_amount);
    sbx_reply_add(r, "PaidCancelTax", cancel_tax);
    sbx_reply_add(r, "PaidBuyerID", t.buyer_id);
    sbx_reply_add(r, "PaidCode", t.paid_code);
    sbx_reply_add(r, "PaidContents", t.contents);
    OPENSSL_cleanse(t.access_pass, sizeof t.access_pass);
    sbx_txn_clear(&t);
    return 0;
}

#define OP(name, params, fn) {name, params, sizeof params / sizeof params[0], fn}

static const struct op_def {
    const char *name;
    const sbx_param *params;
    size_t nparams;
    int (*run)(opctx *c);
} ops[] = {
    OP("SavePaidBuyer", p_save_buyer, op_save_buyer),
    OP("CheckPaidBuyer", p_buyer_only, op_check_buyer),
    OP("CheckPaidRestAmount", p_buyer_only, op_rest_amount),
    OP("EntryTranPaid", p_entry, op_entry),
    OP("ExecTranPaid", p_exec, op_exec),
    OP("PaidSales", p_sales, op_sales),
    OP("PaidChange", p_change, op_change),
    OP("PaidCancel", p_access_order, op_cancel),
    OP("PaidReturn", p_access_order, op_return),
    OP("SearchTradeMulti", p_search, op_search),
};

static const struct op_def *find_op(const char *name)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(ops[i].name, name) == 0)
            return &ops[i];
    return NULL;
}

bool sbx_paid_op_exists(const char *name)
{
    return find_op(name) != NULL;
}

int sbx_paid_run(sbx_app *app, const char *op, const sbx_form *form, int64_t now,
                 sbx_reply *reply, sbx_logrow *log)
{
    const struct op_def *def = find_op(op);
    if (def == NULL)
        return -1;
    opctx c = {app, app->store, form, reply, log, now};
    /* Syntax first, every failing field in one answer; then the shop; then
     * the business rules, which stop at the first failure. */
    if (!validate(&c, def->params, def->nparams))
        return 0;
    if (!shop_authenticated(&c)) {
        add_error(&c, ERR_SHOP_MISMATCH);
        return 0;
    }
    return def->run(&c);
}
