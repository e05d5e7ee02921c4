/*
 * pmp_methods.c - methods as configuration: read a merchant's methods file,
 * load every enabled method, and decide which methods a cart may offer.
 * See the "Methods as configuration" part of pmp_loader.h for the contract.
 */
#include "pmp_loader.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define METHODS_FILE_MAX (1024u * 1024u)
#define NAME_MAX_LEN 32
#define LABEL_MAX_LEN 200

typedef struct method_entry {
    pmp_method_info info;
    char *name;
    char *label;
    char *plugin;
    char *config;
    char *caps;
    unsigned line;
    int enabled;
    pmp_loader *loader;
    pmp_loader_ctx *lctx;
} method_entry;

struct pmp_methods {
    method_entry *all; /* every entry in file order, disabled ones too */
    size_t nall;
    method_entry **enabled; /* the enabled ones, in file order */
    size_t count;
};

/* ------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------- */

#define ERR_HAS(err, field) \
    ((err)->struct_size >= offsetof(pmp_error, field) + sizeof((err)->field))

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static int32_t set_error(pmp_error *err, int32_t code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    if (ERR_HAS(err, code))
        err->code = code;
    if (ERR_HAS(err, retryable))
        err->retryable = 0;
    if (ERR_HAS(err, reserved))
        err->reserved = 0;
    if (ERR_HAS(err, gateway_code))
        err->gateway_code[0] = '\0';
    if (ERR_HAS(err, message)) {
        va_list ap;

        va_start(ap, fmt);
        (void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
    return code;
}

/* Copies a full internal error into the caller's struct, as far as its
 * struct_size allows. */
static void copy_error(pmp_error *dst, const pmp_error *src)
{
    if (dst == NULL)
        return;
    if (ERR_HAS(dst, code))
        dst->code = src->code;
    if (ERR_HAS(dst, retryable))
        dst->retryable = src->retryable;
    if (ERR_HAS(dst, reserved))
        dst->reserved = 0;
    if (ERR_HAS(dst, gateway_code))
        memcpy(dst->gateway_code, src->gateway_code, sizeof(dst->gateway_code));
    if (ERR_HAS(dst, message))
        memcpy(dst->message, src->message, sizeof(dst->message));
}

static void error_init(pmp_error *e)
{
    memset(e, 0, sizeof(*e));
    e->struct_size = sizeof(*e);
}

/* ------------------------------------------------------------------------
 * Reading and parsing the file
 * ---------------------------------------------------------------------- */

static int32_t read_file(const char *path, char **out, size_t *out_len, pmp_error *err)
{
    FILE *f = fopen(path, "rbe");
    char *buf = NULL;
    size_t len = 0, cap = 0;

    *out = NULL;
    *out_len = 0;
    if (f == NULL)
        return set_error(err, PMP_LOADER_E_METHODS, "%s: %s", path, strerror(errno));
    for (;;) {
        size_t n;

        if (cap - len < 4096) {
            size_t ncap = cap == 0 ? 8192 : cap * 2;
            char *nbuf;

            if (ncap > METHODS_FILE_MAX + 1)
                ncap = METHODS_FILE_MAX + 1;
            if (ncap <= len) {
                free(buf);
                (void)fclose(f);
                return set_error(err, PMP_LOADER_E_METHODS, "%s: larger than %u bytes", path,
                                 METHODS_FILE_MAX);
            }
            nbuf = realloc(buf, ncap + 1);
            if (nbuf == NULL) {
                free(buf);
                (void)fclose(f);
                return set_error(err, PMP_E_NOMEM, "%s: out of memory", path);
            }
            buf = nbuf;
            cap = ncap;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                int e = errno;

                free(buf);
                (void)fclose(f);
                return set_error(err, PMP_LOADER_E_METHODS, "%s: %s", path,
                                 e ? strerror(e) : "read error");
            }
            break;
        }
        if (len > METHODS_FILE_MAX) {
            free(buf);
            (void)fclose(f);
            return set_error(err, PMP_LOADER_E_METHODS, "%s: larger than %u bytes", path,
                             METHODS_FILE_MAX);
        }
    }
    (void)fclose(f);
    if (buf == NULL) {
        buf = malloc(1);
        if (buf == NULL)
            return set_error(err, PMP_E_NOMEM, "%s: out of memory", path);
    }
    buf[len] = '\0';
    if (memchr(buf, '\0', len) != NULL) {
        free(buf);
        return set_error(err, PMP_LOADER_E_METHODS, "%s: contains a NUL byte, not a YAML file",
                         path);
    }
    *out = buf;
    *out_len = len;
    return PMP_OK;
}

static unsigned node_line(const yaml_node_t *n)
{
    return (unsigned)n->start_mark.line + 1;
}

static const char *scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static int valid_name(const char *s)
{
    size_t i, n = strlen(s);

    if (n == 0 || n > NAME_MAX_LEN)
        return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (i > 0 && (c == '_' || c == '-'))))
            return 0;
    }
    return 1;
}

/* Structurally valid UTF-8 without control characters. */
static int valid_label(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);

    if (n == 0 || n > LABEL_MAX_LEN)
        return 0;
    while (*p) {
        int extra;
        unsigned cp;

        if (*p < 0x20 || *p == 0x7f)
            return 0;
        if (*p < 0x80) {
            p++;
            continue;
        }
        if ((*p & 0xe0) == 0xc0) {
            extra = 1;
            cp = *p & 0x1f;
        } else if ((*p & 0xf0) == 0xe0) {
            extra = 2;
            cp = *p & 0x0f;
        } else if ((*p & 0xf8) == 0xf0) {
            extra = 3;
            cp = *p & 0x07;
        } else {
            return 0;
        }
        p++;
        for (int k = 0; k < extra; k++, p++) {
            if ((*p & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (*p & 0x3f);
        }
        if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
            (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
    }
    return 1;
}

/* Joins a relative path to the methods file's directory. */
static char *resolve(const char *dir, const char *value)
{
    size_t dl, vl;
    char *p;

    if (value[0] == '/' || dir == NULL)
        return strdup(value);
    dl = strlen(dir);
    vl = strlen(value);
    p = malloc(dl + vl + 2);
    if (p == NULL)
        return NULL;
    memcpy(p, dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, value, vl + 1);
    return p;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *d;

    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    d = malloc((size_t)(slash - path) + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, path, (size_t)(slash - path));
    d[slash - path] = '\0';
    return d;
}

static const char *yaml_error_name(yaml_error_type_t t)
{
    switch (t) {
    case YAML_READER_ERROR:
        return "not valid UTF-8 text";
    case YAML_SCANNER_ERROR:
    case YAML_PARSER_ERROR:
    case YAML_COMPOSER_ERROR:
        return "YAML syntax error";
    case YAML_MEMORY_ERROR:
        return "out of memory";
    default:
        return "YAML error";
    }
}

/* Parses one entry (a mapping node) into e. */
static int32_t parse_entry(yaml_document_t *doc, yaml_node_t *node, size_t idx, const char *path,
                           const char *dir, method_entry *e, pmp_error *err)
{
    static const char *const keys[] = {"name", "label", "plugin", "config", "enabled"};
    const char *values[5] = {NULL, NULL, NULL, NULL, NULL};
    unsigned lines[5] = {0, 0, 0, 0, 0};
    yaml_node_pair_t *pair;
    size_t k;

    e->line = node_line(node);
    e->enabled = 1;
    if (node->type != YAML_MAPPING_NODE)
        return set_error(err, PMP_LOADER_E_METHODS,
                         "%s:%u: methods[%zu]: must be a mapping with name, label, plugin and "
                         "config",
                         path, e->line, idx);
    for (pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
        yaml_node_t *kn = yaml_document_get_node(doc, pair->key);
        yaml_node_t *vn = yaml_document_get_node(doc, pair->value);
        int found = -1;

        if (kn == NULL || vn == NULL || kn->type != YAML_SCALAR_NODE)
            return set_error(err, PMP_LOADER_E_METHODS, "%s:%u: methods[%zu]: keys must be plain "
                             "words", path, kn ? node_line(kn) : e->line, idx);
        for (k = 0; k < 5; k++)
            if (strcmp(scalar(kn), keys[k]) == 0)
                found = (int)k;
        if (found < 0)
            return set_error(err, PMP_LOADER_E_METHODS, "%s:%u: methods[%zu].%.60s: unknown key",
                             path, node_line(kn), idx, scalar(kn));
        if (values[found] != NULL)
            return set_error(err, PMP_LOADER_E_METHODS, "%s:%u: methods[%zu].%s: duplicate key",
                             path, node_line(kn), idx, keys[found]);
        if (vn->type != YAML_SCALAR_NODE)
            return set_error(err, PMP_LOADER_E_METHODS, "%s:%u: methods[%zu].%s: must be a "
                             "single value", path, node_line(vn), idx, keys[found]);
        values[found] = scalar(vn);
        lines[found] = node_line(vn);
        if (found == 4) {
            if (vn->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
                (strcmp(values[4], "true") != 0 && strcmp(values[4], "false") != 0))
                return set_error(err, PMP_LOADER_E_METHODS, "%s:%u: methods[%zu].enabled: must "
                                 "be true or false", path, lines[4], idx);
            e->enabled = strcmp(values[4], "true") == 0;
        }
    }
    for (k = 0; k < 4; k++) {
        if (values[k] == NULL)
            return set_error(err, PMP_LOADER_E_METHODS, "%s:%u: methods[%zu].%s: missing", path,
                             e->line, idx, keys[k]);
        if (values[k][0] == '\0')
            return set_error(err, PMP_LOADER_E_METHODS, "%s:%u: methods[%zu].%s: empty", path,
                             lines[k], idx, keys[k]);
    }
    if (!valid_name(values[0]))
        return set_error(err, PMP_LOADER_E_METHODS, "%s:%u: methods[%zu].name: 1 to %d of "
                         "a-z, 0-9, '_' and '-', starting with a letter or digit", path, lines[0],
                         idx, NAME_MAX_LEN);
    if (!valid_label(values[1]))
        return set_error(err, PMP_LOADER_E_METHODS, "%s:%u: methods[%zu].label: 1 to %d bytes "
                         "of text without control characters", path, lines[1], idx,
                         LABEL_MAX_LEN);
    if (strlen(values[2]) > 4095 || strlen(values[3]) > 4095)
        return set_error(err, PMP_LOADER_E_METHODS, "%s:%u: methods[%zu]: path too long", path,
                         e->line, idx);
    e->name = strdup(values[0]);
    e->label = strdup(values[1]);
    /* A bare library name is left to dlopen's search; anything with a '/'
     * (and every config path) is relative to the methods file. */
    e->plugin = strchr(values[2], '/') == NULL ? strdup(values[2]) : resolve(dir, values[2]);
    e->config = resolve(dir, values[3]);
    if (!e->name || !e->label || !e->plugin || !e->config)
        return set_error(err, PMP_E_NOMEM, "%s: out of memory", path);
    return PMP_OK;
}

static int32_t parse_file(pmp_methods *m, const char *path, const char *text, size_t len,
                          pmp_error *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root, *list = NULL;
    yaml_node_pair_t *pair;
    yaml_node_item_t *item;
    char *dir = NULL;
    size_t n, i, j;
    int32_t rc = PMP_OK;

    if (!yaml_parser_initialize(&parser))
        return set_error(err, PMP_E_NOMEM, "%s: out of memory", path);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = set_error(err, PMP_LOADER_E_METHODS, "%s:%u: %s: %s", path,
                       (unsigned)parser.problem_mark.line + 1, yaml_error_name(parser.error),
                       parser.problem ? parser.problem : "?");
        yaml_parser_delete(&parser);
        return rc;
    }
    root = yaml_document_get_root_node(&doc);
    if (root == NULL) {
        rc = set_error(err, PMP_LOADER_E_METHODS, "%s:1: methods: missing", path);
        goto out;
    }
    if (root->type != YAML_MAPPING_NODE) {
        rc = set_error(err, PMP_LOADER_E_METHODS, "%s:%u: the top level must be a mapping with "
                       "the key 'methods'", path, node_line(root));
        goto out;
    }
    for (pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; pair++) {
        yaml_node_t *kn = yaml_document_get_node(&doc, pair->key);

        if (kn == NULL || kn->type != YAML_SCALAR_NODE || strcmp(scalar(kn), "methods") != 0) {
            rc = set_error(err, PMP_LOADER_E_METHODS, "%s:%u: %.60s: unknown key", path,
                           kn ? node_line(kn) : 1,
                           kn && kn->type == YAML_SCALAR_NODE ? scalar(kn) : "?");
            goto out;
        }
        if (list != NULL) {
            rc = set_error(err, PMP_LOADER_E_METHODS, "%s:%u: methods: duplicate key", path,
                           node_line(kn));
            goto out;
        }
        list = yaml_document_get_node(&doc, pair->value);
    }
    if (list == NULL) {
        rc = set_error(err, PMP_LOADER_E_METHODS, "%s:%u: methods: missing", path,
                       node_line(root));
        goto out;
    }
    if (list->type != YAML_SEQUENCE_NODE) {
        rc = set_error(err, PMP_LOADER_E_METHODS, "%s:%u: methods: must be a list", path,
                       node_line(list));
        goto out;
    }
    n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
    if (n > PMP_METHODS_MAX) {
        rc = set_error(err, PMP_LOADER_E_METHODS, "%s:%u: methods: more than %d entries", path,
                       node_line(list), PMP_METHODS_MAX);
        goto out;
    }
    dir = dir_of(path);
    m->all = calloc(n ? n : 1, sizeof(*m->all));
    m->enabled = calloc(n ? n : 1, sizeof(*m->enabled));
    if (dir == NULL || m->all == NULL || m->enabled == NULL) {
        rc = set_error(err, PMP_E_NOMEM, "%s: out of memory", path);
        goto out;
    }
    for (item = list->data.sequence.items.start, i = 0; item < list->data.sequence.items.top;
         item++, i++) {
        yaml_node_t *en = yaml_document_get_node(&doc, *item);

        m->nall = i + 1;
        rc = parse_entry(&doc, en, i, path, dir, &m->all[i], err);
        if (rc != PMP_OK)
            goto out;
        for (j = 0; j < i; j++) {
            if (strcmp(m->all[j].name, m->all[i].name) == 0) {
                rc = set_error(err, PMP_LOADER_E_METHODS, "%s:%u: methods[%zu].name: '%s' is "
                               "already the name of methods[%zu]", path, m->all[i].line, i,
                               m->all[i].name, j);
                goto out;
            }
        }
        if (m->all[i].enabled)
            m->enabled[m->count++] = &m->all[i];
    }
out:
    free(dir);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

/* ------------------------------------------------------------------------
 * Loading
 * ---------------------------------------------------------------------- */

static int64_t json_int_member(json_object *doc, const char *key, int64_t dflt)
{
    json_object *v;

    if (json_object_object_get_ex(doc, key, &v) && json_object_is_type(v, json_type_int))
        return json_object_get_int64(v);
    return dflt;
}

static int json_bool_member(json_object *doc, const char *key, int dflt)
{
    json_object *v;

    if (json_object_object_get_ex(doc, key, &v) && json_object_is_type(v, json_type_boolean))
        return json_object_get_boolean(v) ? 1 : 0;
    return dflt;
}

/* Loads one enabled entry; on failure e->... are released by the caller. */
static int32_t load_entry(method_entry *e, const char *path,
                          const pmp_loader_ctx_options *options, pmp_error *ie)
{
    pmp_result *res = NULL;
    const char *json;
    size_t len = 0;
    json_object *doc;
    int32_t rc;

    rc = pmp_loader_open(e->plugin, &e->loader, ie);
    if (rc != PMP_OK)
        return rc;
    rc = pmp_loader_ctx_open(e->loader, e->config, options, &e->lctx, ie);
    if (rc != PMP_OK)
        return rc;
    e->info.api = pmp_loader_api(e->loader);
    e->info.ctx = pmp_loader_ctx_get(e->lctx);
    rc = e->info.api->capabilities(e->info.ctx, "{}", 2, &res, ie);
    if (rc != PMP_OK)
        return rc;
    json = e->info.api->result_json(res, &len);
    e->caps = malloc(len + 1);
    if (e->caps == NULL) {
        e->info.api->result_free(res);
        return set_error(ie, PMP_E_NOMEM, "%s: out of memory", path);
    }
    memcpy(e->caps, json, len);
    e->caps[len] = '\0';
    e->info.api->result_free(res);

    doc = json_tokener_parse(e->caps);
    if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
        json_object_put(doc);
        return set_error(ie, PMP_E_PROTOCOL, "capabilities: the plugin's result is not a JSON "
                         "object");
    }
    e->info.capability_flags = (uint32_t)json_int_member(doc, "flags", 0);
    e->info.payer_enrollment = json_bool_member(
        doc, "payer_enrollment", (e->info.capability_flags & PMP_CAP_PAYER_ENROLLMENT) != 0);
    e->info.amount_min = json_int_member(doc, "amount_min", -1);
    e->info.amount_max = json_int_member(doc, "amount_max", -1);
    json_object_put(doc);

    e->info.struct_size = sizeof(e->info);
    e->info.name = e->name;
    e->info.label = e->label;
    e->info.plugin_path = e->plugin;
    e->info.config_path = e->config;
    e->info.capabilities_json = e->caps;
    e->info.capabilities_len = len;
    return PMP_OK;
}

void pmp_methods_close(pmp_methods *m)
{
    size_t i;

    if (m == NULL)
        return;
    for (i = 0; i < m->nall; i++) {
        method_entry *e = &m->all[i];

        pmp_loader_ctx_close(e->lctx);
        pmp_loader_close(e->loader);
        free(e->name);
        free(e->label);
        free(e->plugin);
        free(e->config);
        free(e->caps);
    }
    free(m->all);
    free(m->enabled);
    free(m);
}

int32_t pmp_methods_open(const char *path, const pmp_loader_ctx_options *options,
                         pmp_methods **out, pmp_error *err)
{
    pmp_methods *m;
    pmp_error ie;
    char *text = NULL;
    size_t len = 0, i;
    int32_t rc;

    if (out != NULL)
        *out = NULL;
    if (path == NULL || path[0] == '\0' || out == NULL)
        return set_error(err, PMP_E_INVALID_ARG, "pmp_methods_open: %s is NULL or empty",
                         out == NULL ? "out" : "path");
    rc = read_file(path, &text, &len, err);
    if (rc != PMP_OK)
        return rc;
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        free(text);
        return set_error(err, PMP_E_NOMEM, "%s: out of memory", path);
    }
    rc = parse_file(m, path, text, len, err);
    free(text);
    if (rc != PMP_OK) {
        pmp_methods_close(m);
        return rc;
    }
    for (i = 0; i < m->count; i++) {
        method_entry *e = m->enabled[i];

        error_init(&ie);
        rc = load_entry(e, path, options, &ie);
        if (rc != PMP_OK) {
            char inner[sizeof(ie.message)];
            char full[sizeof(ie.message) + 4096 + 64];

            memcpy(inner, ie.message, sizeof(inner));
            inner[sizeof(inner) - 1] = '\0';
            /* The entry's position first, then what went wrong inside;
             * truncated to fit like every message. */
            (void)snprintf(full, sizeof(full), "%s:%u: %s: %s", path, e->line, e->name, inner);
            memcpy(ie.message, full, sizeof(ie.message) - 1);
            ie.message[sizeof(ie.message) - 1] = '\0';
            ie.code = rc;
            copy_error(err, &ie);
            pmp_methods_close(m);
            return rc;
        }
    }
    *out = m;
    return PMP_OK;
}

size_t pmp_methods_count(const pmp_methods *m)
{
    return m != NULL ? m->count : 0;
}

const pmp_method_info *pmp_methods_at(const pmp_methods *m, size_t index)
{
    if (m == NULL || index >= m->count)
        return NULL;
    return &m->enabled[index]->info;
}

const pmp_method_info *pmp_methods_find(const pmp_methods *m, const char *name)
{
    size_t i;

    if (m == NULL || name == NULL)
        return NULL;
    for (i = 0; i < m->count; i++)
        if (strcmp(m->enabled[i]->name, name) == 0)
            return &m->enabled[i]->info;
    return NULL;
}

/* ------------------------------------------------------------------------
 * Eligibility
 * ---------------------------------------------------------------------- */

static const char *reason_for_status(const char *status)
{
    if (strcmp(status, "screening") == 0)
        return "buyer_screening";
    if (strcmp(status, "rejected") == 0)
        return "buyer_rejected";
    if (strcmp(status, "suspended") == 0)
        return "buyer_suspended";
    return "buyer_unknown";
}

int32_t pmp_methods_check(const pmp_methods *m, size_t index, const pmp_cart *cart,
                          pmp_method_offer *offer, pmp_error *err)
{
    const size_t cart_v1 = offsetof(pmp_cart, tax) + sizeof(cart->tax);
    const size_t offer_v1 = offsetof(pmp_method_offer, rest_amount) + sizeof(offer->rest_amount);
    const pmp_method_info *info;
    json_object *req, *doc, *v;
    pmp_result *res = NULL;
    pmp_error ie;
    const char *text;
    size_t text_len;
    int32_t rc;

    if (m == NULL || cart == NULL || offer == NULL || cart->struct_size < cart_v1 ||
        offer->struct_size < offer_v1 || index >= m->count || cart->amount < 0 ||
        cart->tax < 0)
        return set_error(err, PMP_E_INVALID_ARG, "pmp_methods_check: invalid argument");
    info = &m->enabled[index]->info;
    offer->eligible = 0;
    offer->method = info;
    offer->reason = "unavailable";
    offer->code = PMP_OK;
    offer->reserved = 0;
    offer->rest_amount = -1;

    if ((info->amount_min >= 0 && cart->amount < info->amount_min) ||
        (info->amount_max >= 0 && (cart->amount > info->amount_max || cart->tax > info->amount_max))) {
        offer->reason = "amount_out_of_range";
        return PMP_OK;
    }
    if (!info->payer_enrollment) {
        offer->eligible = 1;
        offer->reason = "ok";
        return PMP_OK;
    }
    if (cart->buyer_id == NULL || cart->buyer_id[0] == '\0') {
        offer->reason = "no_buyer";
        return PMP_OK;
    }

    req = json_object_new_object();
    if (req == NULL ||
        json_object_object_add(req, "buyer_id", json_object_new_string(cart->buyer_id)) != 0 ||
        json_object_object_add(req, "amount", json_object_new_int64(cart->amount)) != 0 ||
        (cart->tax > 0 &&
         json_object_object_add(req, "tax", json_object_new_int64(cart->tax)) != 0)) {
        json_object_put(req);
        return set_error(err, PMP_E_NOMEM, "pmp_methods_check: out of memory");
    }
    text = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN, &text_len);
    error_init(&ie);
    rc = info->api->payer_status(info->ctx, text, text_len, &res, &ie);
    json_object_put(req);
    if (rc == PMP_E_UNSUPPORTED) {
        /* The plugin says it screens but cannot answer: nothing to hide on. */
        offer->eligible = 1;
        offer->reason = "ok";
        return PMP_OK;
    }
    if (rc != PMP_OK) {
        offer->code = rc;
        offer->reason = rc == PMP_E_NOT_FOUND ? "buyer_not_enrolled" : "unavailable";
        copy_error(err, &ie);
        return PMP_OK;
    }
    doc = json_tokener_parse(info->api->result_json(res, NULL));
    if (doc != NULL && json_object_object_get_ex(doc, "rest_amount", &v) &&
        json_object_is_type(v, json_type_int))
        offer->rest_amount = json_object_get_int64(v);
    if (strcmp(info->api->result_status(res), "approved") != 0) {
        offer->reason = reason_for_status(info->api->result_status(res));
    } else if (doc != NULL && json_object_object_get_ex(doc, "eligible", &v) &&
               json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v)) {
        offer->eligible = 1;
        offer->reason = "ok";
    } else {
        offer->reason = "credit_line_exceeded";
    }
    json_object_put(doc);
    info->api->result_free(res);
    return PMP_OK;
}
