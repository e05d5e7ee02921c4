/*
 * pmp_php.c - the "pmp" PHP extension: payment-method plugins (abi/pmp.h)
 * as PHP objects.
 *
 *   $m = new Pmp\Method('/usr/lib/x86_64-linux-gnu/libpmp_paid.so.1', '/etc/shop/paid.yaml');
 *   $r = $m->authorize(['order_id' => 'ORD-1', 'buyer_id' => 'B-1', 'amount' => 1000]);
 *
 *   $methods = new Pmp\Methods('/etc/shop/methods.yaml');
 *   foreach ($methods->eligible(['buyer_id' => 'B-1', 'amount' => 1000]) as $offer) ...
 *
 * Plugins are loaded through the project's loader library (host-shim/loader),
 * so PHP checks exactly what every other host checks. Requests are PHP arrays
 * encoded to JSON, results are the plugin's JSON decoded to arrays, and every
 * non-zero return code becomes a Pmp\Exception subclass carrying the code, the
 * gateway's ErrInfo list and the retryable flag. See docs/hosts.md.
 *
 * Memory: every pmp_result is freed before the PHP function returns; a
 * context is shut down when its object is freed (or by close()); a Method
 * taken from a Methods list keeps the list alive with a reference.
 */
#include <php.h>
#include <ext/json/php_json.h>
#include <ext/spl/spl_array.h>
#include <ext/spl/spl_exceptions.h>
#include <ext/standard/info.h>
#include <zend_exceptions.h>
#include <zend_interfaces.h>
#include <zend_smart_str.h>

#include <stdlib.h>
#include <string.h>

#include "pmp.h"
#include "pmp_loader.h"

#define PHP_PMP_VERSION "0.1.0"

/* ------------------------------------------------------------------------
 * Log sink: the plugin's log lines are queued while a plugin call runs and
 * handed to the PHP logger after it returned. Calling into PHP from inside
 * the plugin would let a PHP fatal error (a longjmp) unwind through plugin
 * frames that hold locks and memory.
 * ---------------------------------------------------------------------- */

typedef struct log_line {
    struct log_line *next;
    int32_t level;
    size_t len;
    char msg[];
} log_line;

typedef struct log_sink {
    zval logger; /* IS_UNDEF when none: lines then go to stderr via the loader */
    log_line *head;
    log_line **tail;
} log_sink;

static void sink_init(log_sink *s)
{
    ZVAL_UNDEF(&s->logger);
    s->head = NULL;
    s->tail = &s->head;
}

static void sink_drop(log_sink *s)
{
    log_line *l = s->head;

    while (l != NULL) {
        log_line *next = l->next;

        free(l);
        l = next;
    }
    s->head = NULL;
    s->tail = &s->head;
}

static void sink_destroy(log_sink *s)
{
    sink_drop(s);
    zval_ptr_dtor(&s->logger);
    ZVAL_UNDEF(&s->logger);
}

/* Called by the plugin (through the loader) inside a plugin call. Plain
 * malloc: no PHP API is touched here. */
static void sink_log(void *user_data, int32_t level, const char *msg, size_t len)
{
    log_sink *s = user_data;
    log_line *l;

    if (len > 65536)
        len = 65536;
    l = malloc(sizeof(*l) + len + 1);
    if (l == NULL)
        return;
    l->next = NULL;
    l->level = level;
    l->len = len;
    memcpy(l->msg, msg, len);
    l->msg[len] = '\0';
    *s->tail = l;
    s->tail = &l->next;
}

/* Hands queued lines to the PHP logger: logger(int $level, string $message). */
static void sink_flush(log_sink *s)
{
    log_line *l = s->head;

    s->head = NULL;
    s->tail = &s->head;
    while (l != NULL) {
        log_line *next = l->next;

        if (Z_TYPE(s->logger) != IS_UNDEF && !EG(exception)) {
            zval args[2], retval;

            ZVAL_LONG(&args[0], l->level);
            ZVAL_STRINGL(&args[1], l->msg, l->len);
            ZVAL_UNDEF(&retval);
            if (call_user_function(NULL, NULL, &s->logger, &retval, 2, args) == SUCCESS)
                zval_ptr_dtor(&retval);
            zval_ptr_dtor(&args[1]);
        }
        free(l);
        l = next;
    }
}

/* Reads the options array shared by Method and Methods:
 *   'log_level' => 'off'|'error'|'warn'|'info'|'debug'
 *   'logger'    => callable(int $level, string $message)
 * Without a logger, lines at log_level go to stderr. With a logger and no
 * log_level, the level is 'info'. Returns FAILURE with an exception set. */
static zend_result parse_options(HashTable *options, log_sink *sink,
                                 pmp_loader_ctx_options *copts)
{
    zval *zlevel = NULL, *zlogger = NULL;
    zend_string *key;
    int32_t level = 0;

    memset(copts, 0, sizeof(*copts));
    copts->struct_size = sizeof(*copts);
    if (options != NULL) {
        ZEND_HASH_FOREACH_STR_KEY(options, key)
        {
            if (key == NULL || (!zend_string_equals_literal(key, "log_level") &&
                                !zend_string_equals_literal(key, "logger"))) {
                zend_argument_value_error(3, "has an unknown option \"%s\" (known: log_level, "
                                             "logger)",
                                          key ? ZSTR_VAL(key) : "(integer key)");
                return FAILURE;
            }
        }
        ZEND_HASH_FOREACH_END();
        zlevel = zend_hash_str_find(options, "log_level", sizeof("log_level") - 1);
        zlogger = zend_hash_str_find(options, "logger", sizeof("logger") - 1);
    }
    if (zlogger != NULL && Z_TYPE_P(zlogger) != IS_NULL) {
        if (!zend_is_callable(zlogger, 0, NULL)) {
            zend_argument_type_error(3, "option \"logger\" must be callable");
            return FAILURE;
        }
        ZVAL_COPY(&sink->logger, zlogger);
        level = PMP_LOG_INFO;
    }
    if (zlevel != NULL && Z_TYPE_P(zlevel) != IS_NULL) {
        if (Z_TYPE_P(zlevel) != IS_STRING ||
            (level = pmp_loader_log_level_parse(Z_STRVAL_P(zlevel))) < 0) {
            zend_argument_value_error(3, "option \"log_level\" must be one of off, error, "
                                         "warn, info, debug");
            return FAILURE;
        }
    }
    copts->log_level = level;
    if (Z_TYPE(sink->logger) != IS_UNDEF) {
        copts->log = sink_log;
        copts->log_user_data = sink;
    }
    return SUCCESS;
}

/* ------------------------------------------------------------------------
 * Exceptions
 * ---------------------------------------------------------------------- */

static zend_class_entry *pmp_exception_ce;
static zend_class_entry *pmp_loader_exception_ce;

typedef struct code_class {
    int32_t code;
    const char *constant; /* Pmp\Exception::<constant> */
    const char *class_name;
    zend_class_entry *ce;
} code_class;

static code_class code_classes[] = {
    {PMP_E_INVALID_ARG, "INVALID_ARG", "Pmp\\InvalidArgumentException", NULL},
    {PMP_E_INVALID_REQUEST, "INVALID_REQUEST", "Pmp\\InvalidRequestException", NULL},
    {PMP_E_CONFIG, "CONFIG", "Pmp\\ConfigException", NULL},
    {PMP_E_NETWORK, "NETWORK", "Pmp\\NetworkException", NULL},
    {PMP_E_OUTCOME_UNKNOWN, "OUTCOME_UNKNOWN", "Pmp\\OutcomeUnknownException", NULL},
    {PMP_E_GATEWAY, "GATEWAY", "Pmp\\GatewayException", NULL},
    {PMP_E_UNSUPPORTED, "UNSUPPORTED", "Pmp\\UnsupportedException", NULL},
    {PMP_E_ABI_VERSION, "ABI_VERSION", "Pmp\\AbiVersionException", NULL},
    {PMP_E_FORKED, "FORKED", "Pmp\\ForkedException", NULL},
    {PMP_E_NOMEM, "NOMEM", "Pmp\\OutOfMemoryException", NULL},
    {PMP_E_INTERNAL, "INTERNAL", "Pmp\\InternalException", NULL},
    {PMP_E_CONFLICT, "CONFLICT", "Pmp\\ConflictException", NULL},
    {PMP_E_TLS, "TLS", "Pmp\\TlsException", NULL},
    {PMP_E_PROTOCOL, "PROTOCOL", "Pmp\\ProtocolException", NULL},
    {PMP_E_NOT_FOUND, "NOT_FOUND", "Pmp\\NotFoundException", NULL},
    {PMP_E_STATE, "STATE", "Pmp\\StateException", NULL},
};

static zend_class_entry *exception_class_for(int32_t code)
{
    size_t i;

    if (code <= PMP_LOADER_E_OPEN && code >= PMP_LOADER_E_METHODS)
        return pmp_loader_exception_ce;
    for (i = 0; i < sizeof(code_classes) / sizeof(code_classes[0]); i++)
        if (code_classes[i].code == code)
            return code_classes[i].ce;
    return pmp_exception_ce; /* a code appended after this build */
}

/* Throws the exception for code with the details of err. op names the
 * operation ("" for loading). strerror_fn may be NULL. */
static void throw_pmp(int32_t code, const pmp_error *err, const char *op,
                      const char *(*strerror_fn)(int32_t))
{
    zend_class_entry *ce = exception_class_for(code);
    const char *what = strerror_fn != NULL && code > PMP_LOADER_E_OPEN ? strerror_fn(code)
                                                                       : pmp_loader_strerror(code);
    zend_object *ex;
    zend_string *msg;
    int retryable = 0;
    const char *gateway = "";
    const char *detail = "";

    if (err != NULL && err->code == code) {
        retryable = err->retryable != 0;
        gateway = err->gateway_code;
        detail = err->message;
    }
    if (detail[0] == '\0')
        detail = what;
    /* The plugin's messages often start with the operation already. */
    if (op[0] && !(strncmp(detail, op, strlen(op)) == 0 && detail[strlen(op)] == ':'))
        msg = strpprintf(0, "%s: %s", op, detail);
    else
        msg = strpprintf(0, "%s", detail);
    ex = zend_throw_exception(ce, ZSTR_VAL(msg), code);
    zend_string_release(msg);
    if (ex == NULL)
        return;
    zend_update_property_string(pmp_exception_ce, ex, "gatewayCode", sizeof("gatewayCode") - 1,
                                gateway);
    zend_update_property_bool(pmp_exception_ce, ex, "retryable", sizeof("retryable") - 1,
                              retryable);
    zend_update_property_string(pmp_exception_ce, ex, "operation", sizeof("operation") - 1, op);
    zend_update_property_string(pmp_exception_ce, ex, "codeName", sizeof("codeName") - 1, what);
}

static void throw_closed(const char *op)
{
    pmp_error e;

    memset(&e, 0, sizeof(e));
    e.struct_size = sizeof(e);
    e.code = PMP_E_INVALID_ARG;
    (void)snprintf(e.message, sizeof(e.message), "this Pmp\\Method is closed");
    throw_pmp(PMP_E_INVALID_ARG, &e, op, NULL);
}

static zval *exception_prop(zend_object *obj, const char *name, size_t len)
{
    zval rv;

    return zend_read_property(pmp_exception_ce, obj, name, len, 1, &rv);
}

PHP_METHOD(Pmp_Exception, getGatewayCode)
{
    zval *v;

    ZEND_PARSE_PARAMETERS_NONE();
    v = exception_prop(Z_OBJ_P(ZEND_THIS), "gatewayCode", sizeof("gatewayCode") - 1);
    RETURN_STR(zval_get_string(v));
}

PHP_METHOD(Pmp_Exception, getGatewayCodes)
{
    zval *v;
    zend_string *s;
    const char *p, *end;

    ZEND_PARSE_PARAMETERS_NONE();
    v = exception_prop(Z_OBJ_P(ZEND_THIS), "gatewayCode", sizeof("gatewayCode") - 1);
    s = zval_get_string(v);
    array_init(return_value);
    p = ZSTR_VAL(s);
    end = p + ZSTR_LEN(s);
    while (p < end) {
        const char *bar = memchr(p, '|', (size_t)(end - p));
        const char *stop = bar ? bar : end;

        if (stop > p)
            add_next_index_stringl(return_value, p, (size_t)(stop - p));
        p = stop + 1;
    }
    zend_string_release(s);
}

PHP_METHOD(Pmp_Exception, isRetryable)
{
    zval *v;

    ZEND_PARSE_PARAMETERS_NONE();
    v = exception_prop(Z_OBJ_P(ZEND_THIS), "retryable", sizeof("retryable") - 1);
    RETURN_BOOL(zend_is_true(v));
}

PHP_METHOD(Pmp_Exception, getOperation)
{
    zval *v;

    ZEND_PARSE_PARAMETERS_NONE();
    v = exception_prop(Z_OBJ_P(ZEND_THIS), "operation", sizeof("operation") - 1);
    RETURN_STR(zval_get_string(v));
}

PHP_METHOD(Pmp_Exception, getCodeName)
{
    zval *v;

    ZEND_PARSE_PARAMETERS_NONE();
    v = exception_prop(Z_OBJ_P(ZEND_THIS), "codeName", sizeof("codeName") - 1);
    RETURN_STR(zval_get_string(v));
}

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_ex_string, 0, 0, IS_STRING, 0)
ZEND_END_ARG_INFO()
ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_ex_array, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()
ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_ex_bool, 0, 0, _IS_BOOL, 0)
ZEND_END_ARG_INFO()

static const zend_function_entry pmp_exception_methods[] = {
    PHP_ME(Pmp_Exception, getGatewayCode, arginfo_ex_string, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Exception, getGatewayCodes, arginfo_ex_array, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Exception, isRetryable, arginfo_ex_bool, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Exception, getOperation, arginfo_ex_string, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Exception, getCodeName, arginfo_ex_string, ZEND_ACC_PUBLIC)
    PHP_FE_END};

/* ------------------------------------------------------------------------
 * JSON in and out
 * ---------------------------------------------------------------------- */

static const char *json_error_text(php_json_error_code code)
{
    switch (code) {
    case PHP_JSON_ERROR_DEPTH:
        return "nested too deeply";
    case PHP_JSON_ERROR_RECURSION:
        return "contains a recursive reference";
    case PHP_JSON_ERROR_UTF8:
        return "contains a string that is not valid UTF-8";
    case PHP_JSON_ERROR_INF_OR_NAN:
        return "contains INF or NAN";
    case PHP_JSON_ERROR_UNSUPPORTED_TYPE:
        return "contains a value JSON cannot hold (a resource or closure)";
    default:
        return "cannot be encoded as JSON";
    }
}

/* Encodes a PHP array (or an empty/NULL one) as a JSON object into buf.
 * what names the argument in the error. Returns FAILURE with a
 * Pmp\InvalidRequestException thrown. */
static zend_result encode_object(HashTable *ht, smart_str *buf, const char *op, const char *what)
{
    zval tmp;
    zend_result r;
    pmp_error e;

    memset(&e, 0, sizeof(e));
    e.struct_size = sizeof(e);
    e.code = PMP_E_INVALID_REQUEST;
    if (ht == NULL || zend_hash_num_elements(ht) == 0) {
        smart_str_appendl(buf, "{}", 2);
        smart_str_0(buf);
        return SUCCESS;
    }
    if (zend_array_is_list(ht)) {
        (void)snprintf(e.message, sizeof(e.message),
                       "the %s must be an array with string keys (a JSON object), not a list",
                       what);
        throw_pmp(PMP_E_INVALID_REQUEST, &e, op, NULL);
        return FAILURE;
    }
    ZVAL_ARR(&tmp, ht);
    /* PRESERVE_ZERO_FRACTION: 100.0 stays a float, so the plugin rejects it
     * as an amount instead of taking a rounded value. */
    r = php_json_encode_ex(buf, &tmp,
                           PHP_JSON_UNESCAPED_UNICODE | PHP_JSON_UNESCAPED_SLASHES |
                               PHP_JSON_PRESERVE_ZERO_FRACTION,
                           64);
    if (r != SUCCESS || JSON_G(error_code) != PHP_JSON_ERROR_NONE) {
        (void)snprintf(e.message, sizeof(e.message), "the %s %s", what,
                       json_error_text(JSON_G(error_code)));
        JSON_G(error_code) = PHP_JSON_ERROR_NONE;
        smart_str_free(buf);
        throw_pmp(PMP_E_INVALID_REQUEST, &e, op, NULL);
        return FAILURE;
    }
    smart_str_0(buf);
    return SUCCESS;
}

/* Decodes a plugin result into return_value (an array). */
static void decode_result(const pmp_api *api, pmp_result *res, const char *op, zval *return_value)
{
    size_t len = 0;
    const char *json = api->result_json(res, &len);

    if (php_json_decode_ex(return_value, json, len, PHP_JSON_OBJECT_AS_ARRAY, 512) != SUCCESS ||
        Z_TYPE_P(return_value) != IS_ARRAY) {
        pmp_error e;

        zval_ptr_dtor(return_value);
        ZVAL_NULL(return_value);
        memset(&e, 0, sizeof(e));
        e.struct_size = sizeof(e);
        e.code = PMP_E_INTERNAL;
        (void)snprintf(e.message, sizeof(e.message), "the plugin's result is not a JSON object");
        throw_pmp(PMP_E_INTERNAL, &e, op, api->strerror);
    }
}

/* ------------------------------------------------------------------------
 * Pmp\Methods (declared first: a Method may point into one)
 * ---------------------------------------------------------------------- */

typedef struct pmp_methods_obj {
    pmp_methods *methods;
    log_sink sink;
    zend_object std;
} pmp_methods_obj;

static zend_class_entry *pmp_methods_ce;
static zend_object_handlers pmp_methods_handlers;

static inline pmp_methods_obj *methods_from(zend_object *o)
{
    return (pmp_methods_obj *)((char *)o - XtOffsetOf(pmp_methods_obj, std));
}

/* ------------------------------------------------------------------------
 * Pmp\Method
 * ---------------------------------------------------------------------- */

typedef struct pmp_method_obj {
    /* Standalone: owned loader and context. From a list: both NULL. */
    pmp_loader *loader;
    pmp_loader_ctx *lctx;
    /* From a list: the Methods object, kept alive by a reference. */
    zend_object *owner;
    const pmp_method_info *info;
    const pmp_api *api; /* NULL once closed */
    pmp_ctx *ctx;
    log_sink own_sink;
    log_sink *sink; /* &own_sink, or the owner's */
    zend_object std;
} pmp_method_obj;

static zend_class_entry *pmp_method_ce;
static zend_object_handlers pmp_method_handlers;

static inline pmp_method_obj *method_from(zend_object *o)
{
    return (pmp_method_obj *)((char *)o - XtOffsetOf(pmp_method_obj, std));
}

static zend_object *method_create(zend_class_entry *ce)
{
    pmp_method_obj *m = zend_object_alloc(sizeof(pmp_method_obj), ce);

    m->loader = NULL;
    m->lctx = NULL;
    m->owner = NULL;
    m->info = NULL;
    m->api = NULL;
    m->ctx = NULL;
    sink_init(&m->own_sink);
    m->sink = &m->own_sink;
    zend_object_std_init(&m->std, ce);
    object_properties_init(&m->std, ce);
    m->std.handlers = &pmp_method_handlers;
    return &m->std;
}

static void method_release(pmp_method_obj *m)
{
    m->api = NULL;
    m->ctx = NULL;
    m->info = NULL;
    /* Lines still queued belong to a context that is going away. */
    if (m->sink == &m->own_sink)
        sink_drop(&m->own_sink);
    pmp_loader_ctx_close(m->lctx);
    m->lctx = NULL;
    pmp_loader_close(m->loader);
    m->loader = NULL;
    if (m->owner != NULL) {
        zend_object *owner = m->owner;

        m->owner = NULL;
        m->sink = &m->own_sink;
        OBJ_RELEASE(owner);
    }
}

static void method_free(zend_object *o)
{
    pmp_method_obj *m = method_from(o);

    method_release(m);
    sink_destroy(&m->own_sink);
    zend_object_std_dtor(o);
}

static HashTable *method_get_gc(zend_object *o, zval **table, int *n)
{
    pmp_method_obj *m = method_from(o);

    *table = Z_TYPE(m->own_sink.logger) != IS_UNDEF ? &m->own_sink.logger : NULL;
    *n = *table ? 1 : 0;
    return zend_std_get_properties(o);
}

/* Shared by the constructor and fromConfigText. */
static void method_open(pmp_method_obj *m, const char *plugin, const char *config_path,
                        const char *config_text, size_t config_len, const char *origin,
                        HashTable *options)
{
    pmp_loader_ctx_options copts;
    pmp_error err;
    int32_t rc;

    if (m->api != NULL || m->loader != NULL) {
        zend_throw_error(NULL, "Pmp\\Method is already constructed");
        return;
    }
    if (parse_options(options, &m->own_sink, &copts) != SUCCESS)
        return;
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    rc = pmp_loader_open(plugin, &m->loader, &err);
    if (rc != PMP_OK) {
        throw_pmp(rc, &err, "", NULL);
        return;
    }
    if (config_path != NULL)
        rc = pmp_loader_ctx_open(m->loader, config_path, &copts, &m->lctx, &err);
    else
        rc = pmp_loader_ctx_open_text(m->loader, config_text, config_len, origin, &copts,
                                      &m->lctx, &err);
    sink_flush(&m->own_sink);
    if (rc != PMP_OK) {
        throw_pmp(rc, &err, "init", pmp_loader_api(m->loader)->strerror);
        pmp_loader_close(m->loader);
        m->loader = NULL;
        return;
    }
    m->api = pmp_loader_api(m->loader);
    m->ctx = pmp_loader_ctx_get(m->lctx);
}

ZEND_BEGIN_ARG_INFO_EX(arginfo_method_construct, 0, 0, 2)
ZEND_ARG_TYPE_INFO(0, plugin, IS_STRING, 0)
ZEND_ARG_TYPE_INFO(0, configFile, IS_STRING, 0)
ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

/* new Pmp\Method(string $plugin, string $configFile, array $options = []) */
PHP_METHOD(Pmp_Method, __construct)
{
    zend_string *plugin, *config;
    HashTable *options = NULL;

    ZEND_PARSE_PARAMETERS_START(2, 3)
    Z_PARAM_PATH_STR(plugin)
    Z_PARAM_PATH_STR(config)
    Z_PARAM_OPTIONAL
    Z_PARAM_ARRAY_HT(options)
    ZEND_PARSE_PARAMETERS_END();

    method_open(method_from(Z_OBJ_P(ZEND_THIS)), ZSTR_VAL(plugin), ZSTR_VAL(config), NULL, 0,
                NULL, options);
}

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_method_from_text, 0, 2, Pmp\\Method, 0)
ZEND_ARG_TYPE_INFO(0, plugin, IS_STRING, 0)
ZEND_ARG_TYPE_INFO(0, configYaml, IS_STRING, 0)
ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, origin, IS_STRING, 0, "\"inline\"")
ZEND_END_ARG_INFO()

/* Pmp\Method::fromConfigText(string $plugin, string $yaml, array $options = [],
 *                            string $origin = 'inline'): Pmp\Method */
PHP_METHOD(Pmp_Method, fromConfigText)
{
    zend_string *plugin, *yaml, *origin = NULL;
    HashTable *options = NULL;

    ZEND_PARSE_PARAMETERS_START(2, 4)
    Z_PARAM_PATH_STR(plugin)
    Z_PARAM_STR(yaml)
    Z_PARAM_OPTIONAL
    Z_PARAM_ARRAY_HT(options)
    Z_PARAM_PATH_STR(origin)
    ZEND_PARSE_PARAMETERS_END();

    object_init_ex(return_value, pmp_method_ce);
    method_open(method_from(Z_OBJ_P(return_value)), ZSTR_VAL(plugin), NULL, ZSTR_VAL(yaml),
                ZSTR_LEN(yaml), origin ? ZSTR_VAL(origin) : "inline", options);
    if (EG(exception)) {
        /* The engine frees return_value too when an exception is pending:
         * leave it NULL after freeing the object. */
        zval_ptr_dtor(return_value);
        ZVAL_NULL(return_value);
        RETURN_THROWS();
    }
}

static pmp_method_obj *method_live(zval *this_zv, const char *op)
{
    pmp_method_obj *m = method_from(Z_OBJ_P(this_zv));

    if (m->api == NULL || m->ctx == NULL) {
        throw_closed(op);
        return NULL;
    }
    return m;
}

/* One ABI operation: array in, array out. */
static void method_operation(INTERNAL_FUNCTION_PARAMETERS, const char *op, size_t fn_offset,
                             int request_required)
{
    HashTable *request = NULL;
    zval *gw_ref = NULL;
    pmp_method_obj *m;
    pmp_operation_fn fn;
    smart_str buf = {0};
    pmp_result *res = NULL;
    pmp_error err;
    int32_t rc;

    ZEND_PARSE_PARAMETERS_START(request_required, 2)
    Z_PARAM_OPTIONAL
    Z_PARAM_ARRAY_HT(request)
    Z_PARAM_ZVAL(gw_ref)
    ZEND_PARSE_PARAMETERS_END();

    m = method_live(ZEND_THIS, op);
    if (m == NULL)
        RETURN_THROWS();
    if (encode_object(request, &buf, op, "request") != SUCCESS)
        RETURN_THROWS();
    memcpy(&fn, (const char *)m->api + fn_offset, sizeof(fn));
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    rc = fn(m->ctx, ZSTR_VAL(buf.s), ZSTR_LEN(buf.s), &res, &err);
    smart_str_free(&buf);
    sink_flush(m->sink);
    if (rc != PMP_OK) {
        m->api->result_free(res); /* NULL by contract; harmless */
        throw_pmp(rc, &err, op, m->api->strerror);
        RETURN_THROWS();
    }
    if (gw_ref != NULL)
        ZEND_TRY_ASSIGN_REF_STRING(gw_ref, m->api->result_gateway_errors(res));
    decode_result(m->api, res, op, return_value);
    m->api->result_free(res);
}

#define OP_OFFSET(member) offsetof(pmp_api, member)

PHP_METHOD(Pmp_Method, capabilities)
{
    method_operation(INTERNAL_FUNCTION_PARAM_PASSTHRU, "capabilities", OP_OFFSET(capabilities), 0);
}
PHP_METHOD(Pmp_Method, enroll)
{
    method_operation(INTERNAL_FUNCTION_PARAM_PASSTHRU, "enroll", OP_OFFSET(enroll), 1);
}
PHP_METHOD(Pmp_Method, payerStatus)
{
    method_operation(INTERNAL_FUNCTION_PARAM_PASSTHRU, "payer_status", OP_OFFSET(payer_status),
                     1);
}
PHP_METHOD(Pmp_Method, authorize)
{
    method_operation(INTERNAL_FUNCTION_PARAM_PASSTHRU, "authorize", OP_OFFSET(authorize), 1);
}
PHP_METHOD(Pmp_Method, capture)
{
    method_operation(INTERNAL_FUNCTION_PARAM_PASSTHRU, "capture", OP_OFFSET(capture), 1);
}
PHP_METHOD(Pmp_Method, voidOrder)
{
    method_operation(INTERNAL_FUNCTION_PARAM_PASSTHRU, "void", OP_OFFSET(void_order), 1);
}
PHP_METHOD(Pmp_Method, refund)
{
    method_operation(INTERNAL_FUNCTION_PARAM_PASSTHRU, "refund", OP_OFFSET(refund), 1);
}
PHP_METHOD(Pmp_Method, adjust)
{
    method_operation(INTERNAL_FUNCTION_PARAM_PASSTHRU, "adjust", OP_OFFSET(adjust), 1);
}
PHP_METHOD(Pmp_Method, status)
{
    method_operation(INTERNAL_FUNCTION_PARAM_PASSTHRU, "status", OP_OFFSET(status), 1);
}

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_method_notify, 0, 1, IS_ARRAY, 0)
ZEND_ARG_TYPE_INFO(0, body, IS_STRING, 0)
ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, headers, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

/* notify(string $rawBody, array $headers = []): array */
PHP_METHOD(Pmp_Method, notify)
{
    zend_string *body;
    HashTable *headers = NULL;
    pmp_method_obj *m;
    smart_str hbuf = {0};
    const char *hjson = NULL;
    size_t hlen = 0;
    pmp_result *res = NULL;
    pmp_error err;
    int32_t rc;

    ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_STR(body)
    Z_PARAM_OPTIONAL
    Z_PARAM_ARRAY_HT(headers)
    ZEND_PARSE_PARAMETERS_END();

    m = method_live(ZEND_THIS, "notify");
    if (m == NULL)
        RETURN_THROWS();
    if (headers != NULL && zend_hash_num_elements(headers) > 0) {
        zend_string *key;
        zval *val;

        /* Header names are strings; values are strings (a list is joined
         * with ", " as HTTP folds repeated headers). Checked here so the
         * message speaks PHP. */
        ZEND_HASH_FOREACH_STR_KEY_VAL(headers, key, val)
        {
            if (key == NULL || Z_TYPE_P(val) != IS_STRING) {
                pmp_error e;

                memset(&e, 0, sizeof(e));
                e.struct_size = sizeof(e);
                e.code = PMP_E_INVALID_REQUEST;
                (void)snprintf(e.message, sizeof(e.message),
                               "headers must map header names to string values");
                throw_pmp(PMP_E_INVALID_REQUEST, &e, "notify", NULL);
                RETURN_THROWS();
            }
        }
        ZEND_HASH_FOREACH_END();
        if (encode_object(headers, &hbuf, "notify", "headers") != SUCCESS)
            RETURN_THROWS();
        hjson = ZSTR_VAL(hbuf.s);
        hlen = ZSTR_LEN(hbuf.s);
    }
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    rc = m->api->notify(m->ctx, ZSTR_VAL(body), ZSTR_LEN(body), hjson, hlen, &res, &err);
    smart_str_free(&hbuf);
    sink_flush(m->sink);
    if (rc != PMP_OK) {
        throw_pmp(rc, &err, "notify", m->api->strerror);
        RETURN_THROWS();
    }
    decode_result(m->api, res, "notify", return_value);
    m->api->result_free(res);
}

PHP_METHOD(Pmp_Method, name)
{
    pmp_method_obj *m;

    ZEND_PARSE_PARAMETERS_NONE();
    m = method_live(ZEND_THIS, "name");
    if (m == NULL)
        RETURN_THROWS();
    RETURN_STRING(m->info != NULL ? m->info->name : m->api->method_name);
}

PHP_METHOD(Pmp_Method, label)
{
    pmp_method_obj *m;

    ZEND_PARSE_PARAMETERS_NONE();
    m = method_live(ZEND_THIS, "label");
    if (m == NULL)
        RETURN_THROWS();
    RETURN_STRING(m->info != NULL ? m->info->label : m->api->method_name);
}

PHP_METHOD(Pmp_Method, methodName)
{
    pmp_method_obj *m;

    ZEND_PARSE_PARAMETERS_NONE();
    m = method_live(ZEND_THIS, "methodName");
    if (m == NULL)
        RETURN_THROWS();
    RETURN_STRING(m->api->method_name);
}

PHP_METHOD(Pmp_Method, pluginVersion)
{
    pmp_method_obj *m;

    ZEND_PARSE_PARAMETERS_NONE();
    m = method_live(ZEND_THIS, "pluginVersion");
    if (m == NULL)
        RETURN_THROWS();
    RETURN_STRING(m->api->plugin_version);
}

PHP_METHOD(Pmp_Method, isClosed)
{
    pmp_method_obj *m;

    ZEND_PARSE_PARAMETERS_NONE();
    m = method_from(Z_OBJ_P(ZEND_THIS));
    RETURN_BOOL(m->api == NULL);
}

/* close(): shuts the context down now instead of when the object goes. A
 * Method from a Methods list only lets go of the list. Idempotent. */
PHP_METHOD(Pmp_Method, close)
{
    ZEND_PARSE_PARAMETERS_NONE();
    method_release(method_from(Z_OBJ_P(ZEND_THIS)));
}

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_method_op, 0, 1, IS_ARRAY, 0)
ZEND_ARG_TYPE_INFO(0, request, IS_ARRAY, 0)
ZEND_ARG_INFO(1, gatewayErrors)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_method_caps, 0, 0, IS_ARRAY, 0)
ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, request, IS_ARRAY, 0, "[]")
ZEND_ARG_INFO(1, gatewayErrors)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_method_string, 0, 0, IS_STRING, 0)
ZEND_END_ARG_INFO()
ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_method_bool, 0, 0, _IS_BOOL, 0)
ZEND_END_ARG_INFO()
ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_method_void, 0, 0, IS_VOID, 0)
ZEND_END_ARG_INFO()

static const zend_function_entry pmp_method_methods[] = {
    PHP_ME(Pmp_Method, __construct, arginfo_method_construct, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Method, fromConfigText, arginfo_method_from_text,
           ZEND_ACC_PUBLIC | ZEND_ACC_STATIC)
    PHP_ME(Pmp_Method, capabilities, arginfo_method_caps, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Method, enroll, arginfo_method_op, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Method, payerStatus, arginfo_method_op, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Method, authorize, arginfo_method_op, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Method, capture, arginfo_method_op, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Method, voidOrder, arginfo_method_op, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Method, refund, arginfo_method_op, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Method, adjust, arginfo_method_op, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Method, status, arginfo_method_op, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Method, notify, arginfo_method_notify, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Method, name, arginfo_method_string, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Method, label, arginfo_method_string, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Method, methodName, arginfo_method_string, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Method, pluginVersion, arginfo_method_string, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Method, isClosed, arginfo_method_bool, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Method, close, arginfo_method_void, ZEND_ACC_PUBLIC)
    PHP_FE_END};

/* ------------------------------------------------------------------------
 * Pmp\Methods
 * ---------------------------------------------------------------------- */

static zend_object *methods_create(zend_class_entry *ce)
{
    pmp_methods_obj *m = zend_object_alloc(sizeof(pmp_methods_obj), ce);

    m->methods = NULL;
    sink_init(&m->sink);
    zend_object_std_init(&m->std, ce);
    object_properties_init(&m->std, ce);
    m->std.handlers = &pmp_methods_handlers;
    return &m->std;
}

static void methods_free(zend_object *o)
{
    pmp_methods_obj *m = methods_from(o);

    sink_drop(&m->sink);
    pmp_methods_close(m->methods);
    m->methods = NULL;
    sink_destroy(&m->sink);
    zend_object_std_dtor(o);
}

static HashTable *methods_get_gc(zend_object *o, zval **table, int *n)
{
    pmp_methods_obj *m = methods_from(o);

    *table = Z_TYPE(m->sink.logger) != IS_UNDEF ? &m->sink.logger : NULL;
    *n = *table ? 1 : 0;
    return zend_std_get_properties(o);
}

static pmp_methods_obj *methods_live(zval *this_zv)
{
    pmp_methods_obj *m = methods_from(Z_OBJ_P(this_zv));

    if (m->methods == NULL) {
        zend_throw_error(NULL, "Pmp\\Methods was not constructed");
        return NULL;
    }
    return m;
}

ZEND_BEGIN_ARG_INFO_EX(arginfo_methods_construct, 0, 0, 1)
ZEND_ARG_TYPE_INFO(0, methodsFile, IS_STRING, 0)
ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

/* new Pmp\Methods(string $methodsFile, array $options = []) */
PHP_METHOD(Pmp_Methods, __construct)
{
    zend_string *path;
    HashTable *options = NULL;
    pmp_methods_obj *m = methods_from(Z_OBJ_P(ZEND_THIS));
    pmp_loader_ctx_options copts;
    pmp_error err;
    int32_t rc;

    ZEND_PARSE_PARAMETERS_START(1, 2)
    Z_PARAM_PATH_STR(path)
    Z_PARAM_OPTIONAL
    Z_PARAM_ARRAY_HT(options)
    ZEND_PARSE_PARAMETERS_END();

    if (m->methods != NULL) {
        zend_throw_error(NULL, "Pmp\\Methods is already constructed");
        RETURN_THROWS();
    }
    if (parse_options(options, &m->sink, &copts) != SUCCESS)
        RETURN_THROWS();
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    rc = pmp_methods_open(ZSTR_VAL(path), &copts, &m->methods, &err);
    sink_flush(&m->sink);
    if (rc != PMP_OK) {
        throw_pmp(rc, &err, "", NULL);
        RETURN_THROWS();
    }
}

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_methods_count, 0, 0, IS_LONG, 0)
ZEND_END_ARG_INFO()

PHP_METHOD(Pmp_Methods, count)
{
    pmp_methods_obj *m;

    ZEND_PARSE_PARAMETERS_NONE();
    m = methods_live(ZEND_THIS);
    if (m == NULL)
        RETURN_THROWS();
    RETURN_LONG((zend_long)pmp_methods_count(m->methods));
}

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_methods_array, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

PHP_METHOD(Pmp_Methods, names)
{
    pmp_methods_obj *m;
    size_t i, n;

    ZEND_PARSE_PARAMETERS_NONE();
    m = methods_live(ZEND_THIS);
    if (m == NULL)
        RETURN_THROWS();
    n = pmp_methods_count(m->methods);
    array_init_size(return_value, (uint32_t)n);
    for (i = 0; i < n; i++)
        add_next_index_string(return_value, pmp_methods_at(m->methods, i)->name);
}

static void method_info_array(const pmp_method_info *info, zval *out)
{
    zval caps;

    array_init(out);
    add_assoc_string(out, "name", info->name);
    add_assoc_string(out, "label", info->label);
    add_assoc_string(out, "method", info->api->method_name);
    add_assoc_string(out, "plugin_version", info->api->plugin_version);
    add_assoc_string(out, "plugin", info->plugin_path);
    add_assoc_string(out, "config", info->config_path);
    if (php_json_decode_ex(&caps, info->capabilities_json, info->capabilities_len,
                           PHP_JSON_OBJECT_AS_ARRAY, 512) == SUCCESS &&
        Z_TYPE(caps) == IS_ARRAY)
        add_assoc_zval(out, "capabilities", &caps);
    else {
        zval_ptr_dtor(&caps);
        add_assoc_null(out, "capabilities");
    }
}

/* all(): [['name'=>..., 'label'=>..., 'method'=>..., 'plugin_version'=>...,
 *          'plugin'=>..., 'config'=>..., 'capabilities'=>[...]], ...] */
PHP_METHOD(Pmp_Methods, all)
{
    pmp_methods_obj *m;
    size_t i, n;

    ZEND_PARSE_PARAMETERS_NONE();
    m = methods_live(ZEND_THIS);
    if (m == NULL)
        RETURN_THROWS();
    n = pmp_methods_count(m->methods);
    array_init_size(return_value, (uint32_t)n);
    for (i = 0; i < n; i++) {
        zval entry;

        method_info_array(pmp_methods_at(m->methods, i), &entry);
        add_next_index_zval(return_value, &entry);
    }
}

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_methods_has, 0, 1, _IS_BOOL, 0)
ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
ZEND_END_ARG_INFO()

PHP_METHOD(Pmp_Methods, has)
{
    zend_string *name;
    pmp_methods_obj *m;

    ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(name)
    ZEND_PARSE_PARAMETERS_END();
    m = methods_live(ZEND_THIS);
    if (m == NULL)
        RETURN_THROWS();
    RETURN_BOOL(pmp_methods_find(m->methods, ZSTR_VAL(name)) != NULL);
}

static void methods_make_method(pmp_methods_obj *owner, const pmp_method_info *info, zval *out)
{
    pmp_method_obj *mo;

    object_init_ex(out, pmp_method_ce);
    mo = method_from(Z_OBJ_P(out));
    mo->owner = &owner->std;
    GC_ADDREF(&owner->std);
    mo->info = info;
    mo->api = info->api;
    mo->ctx = info->ctx;
    mo->sink = &owner->sink;
}

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_methods_get, 0, 1, Pmp\\Method, 0)
ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
ZEND_END_ARG_INFO()

/* get(string $name): Pmp\Method; \OutOfBoundsException for an unknown name. */
PHP_METHOD(Pmp_Methods, get)
{
    zend_string *name;
    pmp_methods_obj *m;
    const pmp_method_info *info;

    ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_STR(name)
    ZEND_PARSE_PARAMETERS_END();
    m = methods_live(ZEND_THIS);
    if (m == NULL)
        RETURN_THROWS();
    info = pmp_methods_find(m->methods, ZSTR_VAL(name));
    if (info == NULL) {
        zend_throw_exception_ex(spl_ce_OutOfBoundsException, 0,
                                "no enabled payment method is named \"%s\"", ZSTR_VAL(name));
        RETURN_THROWS();
    }
    methods_make_method(m, info, return_value);
}

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_methods_iter, 0, 0, Iterator, 0)
ZEND_END_ARG_INFO()

/* getIterator(): name => Pmp\Method, in file order. */
PHP_METHOD(Pmp_Methods, getIterator)
{
    pmp_methods_obj *m;
    zval arr;
    size_t i, n;

    ZEND_PARSE_PARAMETERS_NONE();
    m = methods_live(ZEND_THIS);
    if (m == NULL)
        RETURN_THROWS();
    n = pmp_methods_count(m->methods);
    array_init_size(&arr, (uint32_t)n);
    for (i = 0; i < n; i++) {
        const pmp_method_info *info = pmp_methods_at(m->methods, i);
        zval mz;

        methods_make_method(m, info, &mz);
        add_assoc_zval(&arr, info->name, &mz);
    }
    object_init_ex(return_value, spl_ce_ArrayIterator);
    zend_call_known_instance_method_with_1_params(spl_ce_ArrayIterator->constructor,
                                                  Z_OBJ_P(return_value), NULL, &arr);
    zval_ptr_dtor(&arr);
}

/* Reads ['buyer_id' => ?string, 'amount' => int, 'tax' => int]. */
static zend_result cart_from_array(HashTable *ht, pmp_cart *cart, zend_string **buyer)
{
    zend_string *key;
    zval *v;

    memset(cart, 0, sizeof(*cart));
    cart->struct_size = sizeof(*cart);
    *buyer = NULL;
    ZEND_HASH_FOREACH_STR_KEY_VAL(ht, key, v)
    {
        if (key == NULL) {
            zend_argument_value_error(1, "must be an array with the keys buyer_id, amount, tax");
            return FAILURE;
        }
        if (zend_string_equals_literal(key, "buyer_id")) {
            if (Z_TYPE_P(v) == IS_NULL)
                continue;
            if (Z_TYPE_P(v) != IS_STRING || memchr(Z_STRVAL_P(v), '\0', Z_STRLEN_P(v))) {
                zend_argument_value_error(1, "[\"buyer_id\"] must be a string or null");
                return FAILURE;
            }
            *buyer = Z_STR_P(v);
        } else if (zend_string_equals_literal(key, "amount") ||
                   zend_string_equals_literal(key, "tax")) {
            int is_amount = zend_string_equals_literal(key, "amount");

            if (Z_TYPE_P(v) == IS_NULL && !is_amount)
                continue;
            if (Z_TYPE_P(v) != IS_LONG || Z_LVAL_P(v) < 0) {
                zend_argument_value_error(1, "[\"%s\"] must be a non-negative integer (JPY)",
                                          ZSTR_VAL(key));
                return FAILURE;
            }
            if (is_amount)
                cart->amount = (int64_t)Z_LVAL_P(v);
            else
                cart->tax = (int64_t)Z_LVAL_P(v);
        } else {
            zend_argument_value_error(1, "has an unknown key \"%s\" (known: buyer_id, amount, "
                                         "tax)",
                                      ZSTR_VAL(key));
            return FAILURE;
        }
    }
    ZEND_HASH_FOREACH_END();
    if (zend_hash_str_find(ht, "amount", sizeof("amount") - 1) == NULL) {
        zend_argument_value_error(1, "[\"amount\"] is required");
        return FAILURE;
    }
    cart->buyer_id = *buyer ? ZSTR_VAL(*buyer) : NULL;
    return SUCCESS;
}

static void methods_offers(INTERNAL_FUNCTION_PARAMETERS, int only_eligible)
{
    HashTable *cart_ht;
    pmp_methods_obj *m;
    zend_string *buyer;
    pmp_cart cart;
    size_t i, n;

    ZEND_PARSE_PARAMETERS_START(1, 1)
    Z_PARAM_ARRAY_HT(cart_ht)
    ZEND_PARSE_PARAMETERS_END();
    m = methods_live(ZEND_THIS);
    if (m == NULL)
        RETURN_THROWS();
    if (cart_from_array(cart_ht, &cart, &buyer) != SUCCESS)
        RETURN_THROWS();
    n = pmp_methods_count(m->methods);
    array_init(return_value);
    for (i = 0; i < n; i++) {
        pmp_method_offer offer;
        pmp_error err;
        zval entry;

        memset(&offer, 0, sizeof(offer));
        offer.struct_size = sizeof(offer);
        memset(&err, 0, sizeof(err));
        err.struct_size = sizeof(err);
        if (pmp_methods_check(m->methods, i, &cart, &offer, &err) != PMP_OK) {
            sink_flush(&m->sink);
            zval_ptr_dtor(return_value);
            ZVAL_NULL(return_value);
            throw_pmp(err.code, &err, "eligible", NULL);
            RETURN_THROWS();
        }
        sink_flush(&m->sink);
        if (only_eligible && !offer.eligible)
            continue;
        array_init(&entry);
        add_assoc_string(&entry, "name", offer.method->name);
        add_assoc_string(&entry, "label", offer.method->label);
        add_assoc_bool(&entry, "eligible", offer.eligible != 0);
        add_assoc_string(&entry, "reason", offer.reason);
        add_assoc_long(&entry, "code", offer.code);
        if (offer.code != PMP_OK)
            add_assoc_string(&entry, "message", err.message);
        if (offer.rest_amount >= 0)
            add_assoc_long(&entry, "rest_amount", (zend_long)offer.rest_amount);
        else
            add_assoc_null(&entry, "rest_amount");
        add_next_index_zval(return_value, &entry);
    }
}

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_methods_cart, 0, 1, IS_ARRAY, 0)
ZEND_ARG_TYPE_INFO(0, cart, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

/* offers(array $cart): every method with 'eligible' and 'reason'. */
PHP_METHOD(Pmp_Methods, offers)
{
    methods_offers(INTERNAL_FUNCTION_PARAM_PASSTHRU, 0);
}

/* eligible(array $cart): only the methods to show for this cart. */
PHP_METHOD(Pmp_Methods, eligible)
{
    methods_offers(INTERNAL_FUNCTION_PARAM_PASSTHRU, 1);
}

static const zend_function_entry pmp_methods_methods[] = {
    PHP_ME(Pmp_Methods, __construct, arginfo_methods_construct, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Methods, count, arginfo_methods_count, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Methods, names, arginfo_methods_array, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Methods, all, arginfo_methods_array, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Methods, has, arginfo_methods_has, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Methods, get, arginfo_methods_get, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Methods, getIterator, arginfo_methods_iter, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Methods, offers, arginfo_methods_cart, ZEND_ACC_PUBLIC)
    PHP_ME(Pmp_Methods, eligible, arginfo_methods_cart, ZEND_ACC_PUBLIC)
    PHP_FE_END};

/* ------------------------------------------------------------------------
 * Module
 * ---------------------------------------------------------------------- */

static void register_exceptions(void)
{
    zend_class_entry ce;
    size_t i;

    INIT_CLASS_ENTRY(ce, "Pmp\\Exception", pmp_exception_methods);
    pmp_exception_ce = zend_register_internal_class_ex(&ce, spl_ce_RuntimeException);
    zend_declare_property_string(pmp_exception_ce, "gatewayCode", sizeof("gatewayCode") - 1, "",
                                 ZEND_ACC_PROTECTED);
    zend_declare_property_bool(pmp_exception_ce, "retryable", sizeof("retryable") - 1, 0,
                               ZEND_ACC_PROTECTED);
    zend_declare_property_string(pmp_exception_ce, "operation", sizeof("operation") - 1, "",
                                 ZEND_ACC_PROTECTED);
    zend_declare_property_string(pmp_exception_ce, "codeName", sizeof("codeName") - 1, "",
                                 ZEND_ACC_PROTECTED);
    for (i = 0; i < sizeof(code_classes) / sizeof(code_classes[0]); i++) {
        zend_class_entry sub;

        zend_declare_class_constant_long(pmp_exception_ce, code_classes[i].constant,
                                         strlen(code_classes[i].constant),
                                         code_classes[i].code);
        INIT_CLASS_ENTRY_EX(sub, code_classes[i].class_name, strlen(code_classes[i].class_name),
                            NULL);
        code_classes[i].ce = zend_register_internal_class_ex(&sub, pmp_exception_ce);
    }
    {
        zend_class_entry sub;

        INIT_CLASS_ENTRY(sub, "Pmp\\LoaderException", NULL);
        pmp_loader_exception_ce = zend_register_internal_class_ex(&sub, pmp_exception_ce);
        zend_declare_class_constant_long(pmp_loader_exception_ce, "OPEN", 4, PMP_LOADER_E_OPEN);
        zend_declare_class_constant_long(pmp_loader_exception_ce, "SYMBOL", 6,
                                         PMP_LOADER_E_SYMBOL);
        zend_declare_class_constant_long(pmp_loader_exception_ce, "TABLE", 5, PMP_LOADER_E_TABLE);
        zend_declare_class_constant_long(pmp_loader_exception_ce, "CONFIG_FILE", 11,
                                         PMP_LOADER_E_CONFIG_FILE);
        zend_declare_class_constant_long(pmp_loader_exception_ce, "METHODS", 7,
                                         PMP_LOADER_E_METHODS);
    }
}

static PHP_MINIT_FUNCTION(pmp)
{
    zend_class_entry ce;

    register_exceptions();

    INIT_CLASS_ENTRY(ce, "Pmp\\Method", pmp_method_methods);
    pmp_method_ce = zend_register_internal_class(&ce);
    pmp_method_ce->ce_flags |= ZEND_ACC_FINAL | ZEND_ACC_NOT_SERIALIZABLE;
    pmp_method_ce->create_object = method_create;
    memcpy(&pmp_method_handlers, zend_get_std_object_handlers(), sizeof(pmp_method_handlers));
    pmp_method_handlers.offset = XtOffsetOf(pmp_method_obj, std);
    pmp_method_handlers.free_obj = method_free;
    pmp_method_handlers.get_gc = method_get_gc;
    pmp_method_handlers.clone_obj = NULL;
    zend_declare_class_constant_long(pmp_method_ce, "ABI_MAJOR", 9, PMP_ABI_MAJOR);
    zend_declare_class_constant_long(pmp_method_ce, "LOG_ERROR", 9, PMP_LOG_ERROR);
    zend_declare_class_constant_long(pmp_method_ce, "LOG_WARN", 8, PMP_LOG_WARN);
    zend_declare_class_constant_long(pmp_method_ce, "LOG_INFO", 8, PMP_LOG_INFO);
    zend_declare_class_constant_long(pmp_method_ce, "LOG_DEBUG", 9, PMP_LOG_DEBUG);

    INIT_CLASS_ENTRY(ce, "Pmp\\Methods", pmp_methods_methods);
    pmp_methods_ce = zend_register_internal_class(&ce);
    pmp_methods_ce->ce_flags |= ZEND_ACC_FINAL | ZEND_ACC_NOT_SERIALIZABLE;
    pmp_methods_ce->create_object = methods_create;
    zend_class_implements(pmp_methods_ce, 2, zend_ce_countable, zend_ce_aggregate);
    memcpy(&pmp_methods_handlers, zend_get_std_object_handlers(), sizeof(pmp_methods_handlers));
    pmp_methods_handlers.offset = XtOffsetOf(pmp_methods_obj, std);
    pmp_methods_handlers.free_obj = methods_free;
    pmp_methods_handlers.get_gc = methods_get_gc;
    pmp_methods_handlers.clone_obj = NULL;
    return SUCCESS;
}

static PHP_MINFO_FUNCTION(pmp)
{
    php_info_print_table_start();
    php_info_print_table_header(2, "pmp (payment-method plugins)", "enabled");
    php_info_print_table_row(2, "extension version", PHP_PMP_VERSION);
    php_info_print_table_row(2, "plugin ABI major", "1");
    php_info_print_table_end();
}

static const zend_module_dep pmp_deps[] = {
    ZEND_MOD_REQUIRED("json") ZEND_MOD_REQUIRED("spl") ZEND_MOD_END};

zend_module_entry pmp_module_entry = {
    STANDARD_MODULE_HEADER_EX, NULL, pmp_deps, "pmp", NULL, PHP_MINIT(pmp), NULL, NULL, NULL,
    PHP_MINFO(pmp), PHP_PMP_VERSION, STANDARD_MODULE_PROPERTIES};

ZEND_GET_MODULE(pmp)
