/*
 * clock.c - pmp-host clock: read or move the sandbox's virtual clock through
 * its admin API (sandbox/README.md, "Admin API"), and print the events the
 * move ran (closings, invoices, payments, dunning, deposits).
 *
 *   pmp-host [--config FILE] clock [show]
 *   pmp-host [--config FILE] clock advance DURATION     e.g. 3d, 12h, 1d12h, 90m
 *   pmp-host [--config FILE] clock set yyyy-MM-ddTHH:mm:ss
 *
 * The sandbox is the one the plugin configuration points at: its admin root
 * is the parent of gateway.base_url, verified against gateway.ca_file. Only
 * a sandbox on loopback is accepted, so the command can never be turned on
 * the real gateway. The configuration is read for those two keys only; the
 * file's text (which holds the shop password) is wiped after reading.
 */
#include "host.h"
#include "sandbox_admin.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* The sandbox accepts at most 3650 days per advance. */
#define CLOCK_MAX_SECONDS (3650LL * 86400LL)

static void clock_usage(FILE *f)
{
    (void)fprintf(f,
                  "usage: pmp-host [--config FILE] clock [show]\n"
                  "       pmp-host [--config FILE] clock advance DURATION\n"
                  "       pmp-host [--config FILE] clock set yyyy-MM-ddTHH:mm:ss\n"
                  "       ... [--json]\n"
                  "\n"
                  "Reads or moves the virtual clock of the local paid-sandbox that the plugin\n"
                  "configuration points at (gateway.base_url, gateway.ca_file). Moving it runs\n"
                  "every event that falls due, in order, and prints them.\n"
                  "  DURATION   a number with a unit d, h, m or s (no unit: days); parts add up:\n"
                  "             3 = 3d, 12h, 1d12h, 90m\n"
                  "  set        moves forward to that time (JST); the clock never goes back\n"
                  "  --json     print the sandbox's answer as one JSON line instead\n"
                  "Exit status: 0 done, 1 the sandbox refused or could not be reached,\n"
                  "2 usage error or a configuration that is not a local sandbox.\n");
}

/* ------------------------------------------------------------------------
 * The configuration: gateway.base_url and gateway.ca_file
 * ---------------------------------------------------------------------- */

static void wipe(char *p, size_t n)
{
    volatile char *v = p;

    while (n-- > 0)
        *v++ = 0;
}

/* A value of the form ${NAME} comes from the environment, as the plugin
 * reads it. Returns a heap copy, or NULL with msg set. */
static char *config_value(const char *key, const char *value, char *msg, size_t msg_size)
{
    size_t len = strlen(value);
    char *out;

    if (len > 3 && strncmp(value, "${", 2) == 0 && value[len - 1] == '}') {
        char name[128];
        const char *env;

        if (len - 3 >= sizeof(name)) {
            (void)snprintf(msg, msg_size, "gateway.%s: environment variable name too long", key);
            return NULL;
        }
        memcpy(name, value + 2, len - 3);
        name[len - 3] = '\0';
        env = getenv(name);
        if (env == NULL || env[0] == '\0') {
            (void)snprintf(msg, msg_size, "gateway.%s: environment variable %s is not set", key,
                           name);
            return NULL;
        }
        value = env;
    }
    out = strdup(value);
    if (out == NULL)
        (void)snprintf(msg, msg_size, "out of memory");
    return out;
}

static const char *scalar_of(yaml_document_t *doc, int id)
{
    yaml_node_t *n = yaml_document_get_node(doc, id);

    if (n == NULL || n->type != YAML_SCALAR_NODE)
        return NULL;
    return (const char *)n->data.scalar.value;
}

/* Reads gateway.base_url (required here: the default is the real gateway)
 * and gateway.ca_file (NULL when absent). Returns 0, or -1 with msg set. */
static int read_gateway(const char *path, char **base_url, char **ca_file, char *msg,
                        size_t msg_size)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root;
    yaml_node_pair_t *p;
    char *text = NULL;
    size_t len = 0;
    int ret = -1;

    *base_url = NULL;
    *ca_file = NULL;
    if (host_read_file(path, &text, &len, msg, msg_size) != 0)
        return -1;
    if (!yaml_parser_initialize(&parser)) {
        (void)snprintf(msg, msg_size, "out of memory");
        goto out_wipe;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        (void)snprintf(msg, msg_size, "%s:%lu: %s", path,
                       (unsigned long)parser.problem_mark.line + 1,
                       parser.problem != NULL ? parser.problem : "not YAML");
        yaml_parser_delete(&parser);
        goto out_wipe;
    }
    root = yaml_document_get_root_node(&doc);
    if (root == NULL || root->type != YAML_MAPPING_NODE) {
        (void)snprintf(msg, msg_size, "%s: not a YAML mapping", path);
        goto out_doc;
    }
    for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        const char *k = scalar_of(&doc, p->key);
        yaml_node_t *gw = yaml_document_get_node(&doc, p->value);
        yaml_node_pair_t *q;

        if (k == NULL || strcmp(k, "gateway") != 0 || gw == NULL || gw->type != YAML_MAPPING_NODE)
            continue;
        for (q = gw->data.mapping.pairs.start; q < gw->data.mapping.pairs.top; q++) {
            const char *gk = scalar_of(&doc, q->key);
            const char *gv = scalar_of(&doc, q->value);
            char **slot = NULL;

            if (gk != NULL && strcmp(gk, "base_url") == 0)
                slot = base_url;
            else if (gk != NULL && strcmp(gk, "ca_file") == 0)
                slot = ca_file;
            if (slot == NULL || gv == NULL || *slot != NULL)
                continue;
            *slot = config_value(gk, gv, msg, msg_size);
            if (*slot == NULL)
                goto out_doc;
        }
    }
    if (*base_url == NULL || (*base_url)[0] == '\0') {
        (void)snprintf(msg, msg_size,
                       "%s: no gateway.base_url; the default is GMO-PG's gateway, which has no "
                       "virtual clock",
                       path);
        goto out_doc;
    }
    ret = 0;

out_doc:
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
out_wipe:
    wipe(text, len);
    free(text);
    if (ret != 0) {
        free(*base_url);
        free(*ca_file);
        *base_url = NULL;
        *ca_file = NULL;
    }
    return ret;
}

/* Whether url is http(s)://<loopback>[:port]/...: 127.x.x.x, [::1] or
 * localhost, without user information. */
static int url_is_loopback(const char *url)
{
    const char *h;
    const char *end;
    char host[64];
    unsigned char addr[16];
    size_t n;

    if (strncasecmp(url, "https://", 8) == 0)
        h = url + 8;
    else if (strncasecmp(url, "http://", 7) == 0)
        h = url + 7;
    else
        return 0;
    end = h + strcspn(h, "/?#");
    if (memchr(h, '@', (size_t)(end - h)) != NULL)
        return 0;
    if (*h == '[') {
        const char *close = memchr(h, ']', (size_t)(end - h));

        if (close == NULL)
            return 0;
        n = (size_t)(close - h - 1);
        if (n >= sizeof(host))
            return 0;
        memcpy(host, h + 1, n);
        host[n] = '\0';
        return inet_pton(AF_INET6, host, addr) == 1 &&
               memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
    }
    n = strcspn(h, ":/?#");
    if (n >= sizeof(host) || n == 0)
        return 0;
    memcpy(host, h, n);
    host[n] = '\0';
    if (strcasecmp(host, "localhost") == 0)
        return 1;
    return inet_pton(AF_INET, host, addr) == 1 && addr[0] == 127;
}

/* ------------------------------------------------------------------------
 * Arguments
 * ---------------------------------------------------------------------- */

/* "3", "3d", "12h", "1d12h", "90m", "45s" -> seconds. Returns 0 or -1. */
static int parse_duration(const char *s, long long *out)
{
    long long total = 0;
    int parts = 0;

    if (*s == '\0')
        return -1;
    while (*s != '\0') {
        long long v = 0;
        long long unit;
        int digits = 0;

        while (isdigit((unsigned char)*s)) {
            v = v * 10 + (*s - '0');
            if (v > CLOCK_MAX_SECONDS)
                return -1;
            s++;
            digits++;
        }
        if (digits == 0)
            return -1;
        parts++;
        if (*s == '\0' && parts > 1)
            return -1; /* "1d12": twelve what? */
        switch (*s) {
        case 'd':
        case '\0':
            unit = 86400;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'm':
            unit = 60;
            break;
        case 's':
            unit = 1;
            break;
        default:
            return -1;
        }
        if (*s != '\0')
            s++;
        if (v > (CLOCK_MAX_SECONDS - total) / unit)
            return -1;
        total += v * unit;
    }
    *out = total;
    return 0;
}

/* yyyy-MM-ddTHH:mm:ss with plausible fields (the sandbox checks the rest). */
static int valid_stamp(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t i;

    if (strlen(s) != sizeof(shape) - 1)
        return 0;
    for (i = 0; shape[i] != '\0'; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
            return 0;
    }
    return 1;
}

typedef struct clock_args {
    const char *action; /* show, advance, set */
    const char *value;
    int json;
} clock_args;


/* Returns 0, 1 for --help, -1 on a usage error (printed). */
static int clock_parse(int argc, char **argv, host_options *g, clock_args *a)
{
    int positional = 0;
    int i;

    memset(a, 0, sizeof(*a));
    a->action = "show";
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int common;

        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            clock_usage(stdout);
            return 1;
        } else if (strcmp(arg, "--json") == 0) {
            a->json = 1;
        } else if ((common = host_common_option(argc, argv, &i, g)) != 0) {
            /* --plugin and --log-level are accepted for symmetry; unused */
            if (common < 0)
                return -1;
        } else if (arg[0] == '-' && arg[1] != '\0' && !isdigit((unsigned char)arg[1])) {
            (void)fprintf(stderr, "pmp-host: clock: unknown option '%s'\n", arg);
            return -1;
        } else if (positional == 0) {
            a->action = arg;
            positional++;
        } else if (positional == 1) {
            a->value = arg;
            positional++;
        } else {
            (void)fprintf(stderr, "pmp-host: clock: unexpected argument '%s'\n", arg);
            return -1;
        }
    }
    if (strcmp(a->action, "show") == 0) {
        if (a->value != NULL) {
            (void)fprintf(stderr, "pmp-host: clock show takes no value\n");
            return -1;
        }
    } else if (strcmp(a->action, "advance") == 0 || strcmp(a->action, "set") == 0) {
        if (a->value == NULL) {
            (void)fprintf(stderr, "pmp-host: clock %s needs a value\n", a->action);
            return -1;
        }
    } else {
        (void)fprintf(stderr, "pmp-host: clock: '%s' is not show, advance or set\n", a->action);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Output
 * ---------------------------------------------------------------------- */

static const char *member_str(json_object *o, const char *key)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

int host_clock_print_events(FILE *f, json_object *answer, const char *indent)
{
    json_object *events = NULL;
    size_t i;
    size_t n;

    if (!json_object_object_get_ex(answer, "events", &events) ||
        !json_object_is_type(events, json_type_array))
        return 0;
    n = json_object_array_length(events);
    for (i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(events, i);
        json_object *ids = NULL;
        json_object *amount = NULL;
        const char *when = member_str(e, "time");
        const char *kind = member_str(e, "kind");
        const char *result = member_str(e, "result");
        char idtext[160];
        size_t o = 0;

        idtext[0] = '\0';
        /* buyer, invoice, deposit, order: whichever the event names */
        if (json_object_object_get_ex(e, "ids", &ids) &&
            json_object_is_type(ids, json_type_object)) {
            static const char *const keys[] = {"buyer_id", "order_id", "invoice_id", "deposit_id",
                                               NULL};
            size_t k;

            for (k = 0; keys[k] != NULL && o < sizeof(idtext); k++) {
                const char *v = member_str(ids, keys[k]);
                int w;

                if (v == NULL || v[0] == '\0')
                    continue;
                w = snprintf(idtext + o, sizeof(idtext) - o, "%s%s", o > 0 ? " " : "", v);
                o = w < 0 ? sizeof(idtext) : o + (size_t)w;
            }
        }
        (void)fprintf(f, "%s%-19s  %-15s  %-26s  %s", indent, when != NULL ? when : "?",
                      kind != NULL ? kind : "?", idtext, result != NULL ? result : "");
        if (json_object_object_get_ex(e, "amount", &amount) &&
            json_object_is_type(amount, json_type_int)) {
            char y[32];

            (void)fprintf(f, "  (%s JPY)",
                          host_fmt_yen((long long)json_object_get_int64(amount), y, sizeof(y)));
        }
        (void)fputc('\n', f);
    }
    return (int)n;
}

static int print_answer(const clock_args *a, json_object *answer)
{
    const char *now = member_str(answer, "now");
    const char *prev = member_str(answer, "previous");
    json_object *v = NULL;

    if (a->json) {
        const char *text = json_object_to_json_string_ext(
            answer, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

        return text != NULL && printf("%s\n", text) >= 0 && fflush(stdout) == 0 ? 0 : -1;
    }
    if (now == NULL) {
        (void)fprintf(stderr, "pmp-host: clock: the sandbox's answer has no \"now\"\n");
        return -1;
    }
    if (strcmp(a->action, "show") == 0) {
        long long off = 0;

        if (json_object_object_get_ex(answer, "offset_seconds", &v) &&
            json_object_is_type(v, json_type_int))
            off = (long long)json_object_get_int64(v);
        (void)printf("sandbox clock: %s JST", now);
        if (off > 0)
            (void)printf(" (real time + %lldd %02lld:%02lld:%02lld)", off / 86400,
                         off % 86400 / 3600, off % 3600 / 60, off % 60);
        else
            (void)printf(" (real time)");
        (void)printf("\n");
    } else {
        json_object *events = NULL;
        size_t n = 0;

        if (json_object_object_get_ex(answer, "events", &events) &&
            json_object_is_type(events, json_type_array))
            n = json_object_array_length(events);
        (void)printf("sandbox clock: %s -> %s JST; %zu event%s run%s\n", prev != NULL ? prev : "?",
                     now, n, n == 1 ? "" : "s", n > 0 ? ":" : "");
        (void)host_clock_print_events(stdout, answer, "  ");
    }
    return fflush(stdout) == 0 ? 0 : -1;
}

int host_clock_main(const host_options *gopts, int argc, char **argv)
{
    host_options g = *gopts;
    clock_args a;
    host_admin *admin = NULL;
    json_object *answer = NULL;
    char *base_url = NULL;
    char *ca_file = NULL;
    char path[160];
    char msg[768];
    const char *config;
    int ret = HOST_EXIT_FAIL;
    int rc;

    rc = clock_parse(argc, argv, &g, &a);
    if (rc != 0) {
        if (rc < 0)
            (void)fprintf(stderr, "Try 'pmp-host clock --help'.\n");
        return rc > 0 ? HOST_EXIT_OK : HOST_EXIT_USAGE;
    }
    if (strcmp(a.action, "show") == 0) {
        (void)snprintf(path, sizeof(path), "_sandbox/clock");
    } else if (strcmp(a.action, "advance") == 0) {
        long long s;

        if (parse_duration(a.value, &s) != 0 || s == 0) {
            (void)fprintf(stderr,
                          "pmp-host: clock advance: '%s' is not a duration like 3d, 12h, 1d12h "
                          "(more than 0, at most 3650 days)\n",
                          a.value);
            return HOST_EXIT_USAGE;
        }
        (void)snprintf(path, sizeof(path), "_sandbox/clock/advance?seconds=%lld", s);
    } else {
        if (!valid_stamp(a.value)) {
            (void)fprintf(stderr, "pmp-host: clock set: '%s' is not yyyy-MM-ddTHH:mm:ss (JST)\n",
                          a.value);
            return HOST_EXIT_USAGE;
        }
        (void)snprintf(path, sizeof(path), "_sandbox/clock/set?to=%s", a.value);
    }

    config = host_resolve_config(&g);
    if (read_gateway(config, &base_url, &ca_file, msg, sizeof(msg)) != 0) {
        (void)fprintf(stderr, "pmp-host: clock: %s\n", msg);
        return HOST_EXIT_USAGE;
    }
    if (!url_is_loopback(base_url)) {
        (void)fprintf(stderr,
                      "pmp-host: clock: refusing %s: the clock belongs to a local sandbox "
                      "(127.x.x.x, [::1] or localhost), never to a real gateway\n",
                      base_url);
        ret = HOST_EXIT_USAGE;
        goto out_free;
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        (void)fprintf(stderr, "pmp-host: clock: curl_global_init failed\n");
        goto out_free;
    }
    if (host_admin_open(base_url, ca_file, &admin, msg, sizeof(msg)) != 0) {
        (void)fprintf(stderr, "pmp-host: clock: %s\n", msg);
        goto out_curl;
    }
    if (host_admin_call(admin, strcmp(a.action, "show") == 0 ? "GET" : "POST", path, &answer, msg,
                        sizeof(msg)) != 0) {
        (void)fprintf(stderr, "pmp-host: clock: %s\n", msg);
        goto out_close;
    }
    ret = print_answer(&a, answer) == 0 ? HOST_EXIT_OK : HOST_EXIT_FAIL;
    json_object_put(answer);

out_close:
    host_admin_close(admin);
out_curl:
    curl_global_cleanup();
out_free:
    free(base_url);
    free(ca_file);
    return ret;
}
