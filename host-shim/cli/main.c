/*
 * main.c - pmp-host: run one plugin operation from the command line, or the
 * demo story against a local sandbox.
 *
 *   pmp-host [--plugin PATH] [--config FILE] [--log-level LEVEL]
 *            OPERATION [JSON | @file | -]
 *   pmp-host [--plugin PATH] [--log-level LEVEL] demo [--sandbox PATH] [--keep]
 *   pmp-host [...] bulk FILE [...]       (bulk.c)
 *   pmp-host [...] receive [...]         (receive.c, receiver.c)
 *   pmp-host [--config FILE] clock [...] (clock.c)
 *
 * The operation mode prints exactly one JSON line on stdout so that scripts
 * can parse it; plugin log lines go to stderr.
 */
#include "bulk.h"
#include "host.h"
#include "pmp_loader.h"

#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PMP_HOST_INSTALLED_PLUGIN
#define PMP_HOST_INSTALLED_PLUGIN "/usr/local/lib/libpmp_paid.so.1"
#endif
#ifndef PMP_HOST_VERSION
#define PMP_HOST_VERSION "0.0.0"
#endif

/* Where the plugin sits relative to this executable in the build tree. */
#define HOST_BUILD_PLUGIN "../plugin/libpmp_paid.so"

static void usage(FILE *f)
{
    (void)fprintf(
        f,
        "usage: pmp-host [--plugin PATH] [--config FILE] [--log-level LEVEL]\n"
        "                OPERATION [JSON | @file | -]\n"
        "       pmp-host [--plugin PATH] [--log-level LEVEL] notify [--headers JSON|@file] "
        "@body-file\n"
        "       pmp-host [--plugin PATH] [--log-level LEVEL] demo [--sandbox PATH] [--keep]\n"
        "       pmp-host [--plugin PATH] [--config FILE] [--log-level LEVEL] bulk FILE\n"
        "                [--concurrency N] [--out RESULTS] [--resume] [...]"
        "   (see bulk --help)\n"
        "       pmp-host [--plugin PATH] [--config FILE] receive [--port N] [--out FILE]\n"
        "                [--ready-file F] [--max N] [...]   (see receive --help)\n"
        "       pmp-host [--config FILE] clock [show | advance DAYS[d|h|m|s] |\n"
        "                set yyyy-MM-ddTHH:mm:ss] [--json]   (see clock --help)\n"
        "\n"
        "OPERATION: capabilities enroll payer_status authorize capture void refund\n"
        "           adjust status notify\n"
        "The request is a JSON object given inline, read from @file, or from stdin (-);\n"
        "capabilities defaults to {}. One JSON line is printed on stdout:\n"
        "  {\"rc\":0,\"status\":\"...\",\"result\":{...}}                      on success\n"
        "  {\"rc\":-N,\"error\":\"...\",\"message\":\"...\",\"gateway_code\":\"...\","
        "\"retryable\":false}\n"
        "Exit status: 0 success, 1 operation error, 2 usage error, 3 outcome unknown.\n"
        "\n"
        "  --plugin PATH     plugin shared object (default: $PMP_PLUGIN, the build tree,\n"
        "                    then %s)\n"
        "  --config FILE     plugin YAML configuration (default: $PMP_CONFIG, ./config.yaml)\n"
        "  --log-level L     plugin log lines on stderr: off error warn info debug "
        "(default warn)\n"
        "  --headers JSON    notify only: request headers as a JSON object (or @file)\n"
        "  --sandbox PATH    demo only: paid-sandbox executable (default: $PMP_SANDBOX,\n"
        "                    the build tree, then the installed one)\n"
        "  --keep            demo only: keep the temporary directory\n",
        PMP_HOST_INSTALLED_PLUGIN);
}

/* Prints one JSON document as a single line on stdout. */
static int print_json_line(json_object *obj)
{
    const char *text = json_object_to_json_string_ext(
        obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

    if (text == NULL)
        return -1;
    if (printf("%s\n", text) < 0 || fflush(stdout) != 0)
        return -1;
    return 0;
}

/* The failure line. api may be NULL when the plugin did not load. */
static int print_error(const pmp_api *api, int32_t rc, const pmp_error *err)
{
    json_object *obj = json_object_new_object();
    const char *text;
    int ret;

    if (obj == NULL)
        return HOST_EXIT_FAIL;
    /* The plugin knows codes appended after this host was built; the loader
     * codes only the loader knows. */
    if (api != NULL && rc > -1000)
        text = api->strerror(rc);
    else
        text = pmp_loader_strerror(rc);
    (void)json_object_object_add(obj, "rc", json_object_new_int(rc));
    (void)json_object_object_add(obj, "error", json_object_new_string(text != NULL ? text : ""));
    (void)json_object_object_add(obj, "message", json_object_new_string(err->message));
    (void)json_object_object_add(obj, "gateway_code",
                                 json_object_new_string(err->gateway_code));
    (void)json_object_object_add(obj, "retryable", json_object_new_boolean(err->retryable != 0));
    ret = print_json_line(obj);
    json_object_put(obj);
    if (ret != 0)
        return HOST_EXIT_FAIL;
    return rc == PMP_E_OUTCOME_UNKNOWN ? HOST_EXIT_UNKNOWN : HOST_EXIT_FAIL;
}

static int print_result(const pmp_api *api, const pmp_result *result)
{
    json_object *obj;
    json_object *doc;
    const char *json;
    size_t len = 0;
    int ret = HOST_EXIT_OK;

    json = api->result_json(result, &len);
    /* Re-serialise rather than copy: it guarantees one valid line whatever
     * the plugin's formatting. */
    doc = json_tokener_parse(json != NULL ? json : "");
    if (doc == NULL) {
        /* The operation did happen (money may have moved), so still report
         * it, but as text and with a failing exit status: a host that cannot
         * read the result must not treat it as understood. */
        (void)fprintf(stderr, "pmp-host: the plugin returned a result that is not JSON\n");
        doc = json_object_new_string_len(json != NULL ? json : "", (int)len);
        ret = HOST_EXIT_FAIL;
    }
    obj = json_object_new_object();
    if (obj == NULL) {
        json_object_put(doc);
        return HOST_EXIT_FAIL;
    }
    (void)json_object_object_add(obj, "rc", json_object_new_int(0));
    (void)json_object_object_add(obj, "status",
                                 json_object_new_string(api->result_status(result)));
    (void)json_object_object_add(obj, "result", doc); /* obj owns doc now */
    if (print_json_line(obj) != 0)
        ret = HOST_EXIT_FAIL;
    json_object_put(obj);
    return ret;
}

/* Reads an argument that is inline text, @file or - (stdin). */
static int read_argument(const char *arg, char **out, size_t *out_len)
{
    char msg[512];

    if (strcmp(arg, "-") == 0 || arg[0] == '@') {
        if (host_read_file(arg[0] == '@' ? arg + 1 : arg, out, out_len, msg, sizeof(msg)) != 0) {
            (void)fprintf(stderr, "pmp-host: %s\n", msg);
            return -1;
        }
        return 0;
    }
    *out_len = strlen(arg);
    *out = strdup(arg);
    if (*out == NULL) {
        (void)fprintf(stderr, "pmp-host: out of memory\n");
        return -1;
    }
    return 0;
}

typedef struct host_args {
    host_options opts;
    const char *operation;
    const char *request; /* inline, @file or - */
    const char *headers; /* notify: inline or @file */
    /* bulk, receive, clock: their own arguments, from the command's name on */
    int sub_argc;
    char **sub_argv;
} host_args;


/* Returns 0, 1 for --help/--version (already handled), or -1 on a usage
 * error (already printed). */
static int parse_args(int argc, char **argv, host_args *a)
{
    int positional = 0;
    int no_more_options = 0;
    int i;

    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *v;
        int common;

        if (!no_more_options && strcmp(arg, "--") == 0) {
            no_more_options = 1;
            continue;
        }
        /* "-" alone is stdin, a JSON text never starts with "--". */
        if (!no_more_options && arg[0] == '-' && arg[1] != '\0') {
            if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
                usage(stdout);
                return 1;
            }
            if (strcmp(arg, "--version") == 0) {
                (void)printf("pmp-host %s (pmp ABI %d.%d)\n", PMP_HOST_VERSION, PMP_ABI_MAJOR,
                             PMP_ABI_MINOR);
                return 1;
            }
            if ((common = host_common_option(argc, argv, &i, &a->opts)) != 0) {
                if (common < 0)
                    return -1;
            } else if (host_opt_is(arg, "--headers")) {
                if (host_opt_value(argc, argv, &i, &v) != 0)
                    return -1;
                a->headers = v;
            } else if (host_opt_is(arg, "--sandbox")) {
                if (host_opt_value(argc, argv, &i, &v) != 0)
                    return -1;
                a->opts.sandbox_path = v;
            } else if (strcmp(arg, "--keep") == 0) {
                a->opts.keep = 1;
            } else {
                (void)fprintf(stderr, "pmp-host: unknown option '%s'\n", arg);
                return -1;
            }
            continue;
        }
        if (positional == 0 && (strcmp(arg, "bulk") == 0 || strcmp(arg, "receive") == 0 ||
                                strcmp(arg, "clock") == 0)) {
            /* These parse the rest themselves: they have options of their
             * own. */
            a->operation = arg;
            a->sub_argc = argc - i;
            a->sub_argv = argv + i;
            break;
        }
        if (positional == 0)
            a->operation = arg;
        else if (positional == 1)
            a->request = arg;
        else {
            (void)fprintf(stderr, "pmp-host: unexpected argument '%s'\n", arg);
            return -1;
        }
        positional++;
    }

    if (a->operation == NULL) {
        (void)fprintf(stderr, "pmp-host: no operation given\n");
        return -1;
    }
    if (strcmp(a->operation, "demo") == 0) {
        if (a->request != NULL || a->headers != NULL || a->opts.config_path != NULL) {
            (void)fprintf(stderr, "pmp-host: demo takes only --sandbox, --plugin, --keep and "
                                  "--log-level (it writes its own configuration)\n");
            return -1;
        }
        return 0;
    }
    if (a->opts.sandbox_path != NULL || a->opts.keep) {
        (void)fprintf(stderr, "pmp-host: --sandbox and --keep belong to demo\n");
        return -1;
    }
    if (a->sub_argv != NULL) {
        if (a->headers != NULL) {
            (void)fprintf(stderr, "pmp-host: --headers belongs to notify\n");
            return -1;
        }
        return 0;
    }
    if (host_operation_find(a->operation) == NULL) {
        (void)fprintf(stderr, "pmp-host: unknown operation '%s'\n", a->operation);
        return -1;
    }
    if (a->headers != NULL && strcmp(a->operation, "notify") != 0) {
        (void)fprintf(stderr, "pmp-host: --headers belongs to notify\n");
        return -1;
    }
    if (a->request == NULL && strcmp(a->operation, "capabilities") != 0) {
        (void)fprintf(stderr, "pmp-host: %s needs a request (JSON, @file or -)\n",
                      a->operation);
        return -1;
    }
    return 0;
}

int host_resolve_plugin(const host_options *opts, char *buf, size_t size)
{
    if (opts->plugin_path != NULL)
        return (size_t)snprintf(buf, size, "%s", opts->plugin_path) < size ? 0 : -1;
    return host_default_path("PMP_PLUGIN", HOST_BUILD_PLUGIN, PMP_HOST_INSTALLED_PLUGIN, buf,
                             size);
}

const char *host_resolve_config(const host_options *opts)
{
    const char *path = opts->config_path;

    if (path == NULL) {
        path = getenv("PMP_CONFIG");
        if (path == NULL || path[0] == '\0')
            path = "./config.yaml";
    }
    return path;
}

static int run_operation(const host_args *a)
{
    const host_operation *op = host_operation_find(a->operation);
    char plugin_path[PATH_MAX];
    const char *config_path;
    pmp_loader *loader = NULL;
    pmp_loader_ctx *lctx = NULL;
    pmp_loader_ctx_options copts;
    const pmp_api *api;
    pmp_result *result = NULL;
    pmp_error err;
    char *request = NULL;
    size_t request_len = 0;
    char *headers = NULL;
    size_t headers_len = 0;
    int32_t rc;
    int ret;

    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);

    /* Read the inputs first: a usage mistake should not cost a plugin load. */
    if (a->request != NULL) {
        if (read_argument(a->request, &request, &request_len) != 0)
            return HOST_EXIT_USAGE;
    } else {
        request = strdup("{}");
        if (request == NULL)
            return HOST_EXIT_FAIL;
        request_len = 2;
    }
    if (a->headers != NULL && read_argument(a->headers, &headers, &headers_len) != 0) {
        ret = HOST_EXIT_USAGE;
        goto out_free_inputs;
    }

    if (host_resolve_plugin(&a->opts, plugin_path, sizeof(plugin_path)) != 0) {
        (void)fprintf(stderr, "pmp-host: plugin path too long\n");
        ret = HOST_EXIT_USAGE;
        goto out_free_inputs;
    }
    config_path = host_resolve_config(&a->opts);

    rc = pmp_loader_open(plugin_path, &loader, &err);
    if (rc != PMP_OK) {
        ret = print_error(NULL, rc, &err);
        goto out_free_inputs;
    }
    api = pmp_loader_api(loader);

    memset(&copts, 0, sizeof(copts));
    copts.struct_size = sizeof(copts);
    copts.log_level = a->opts.log_level;
    rc = pmp_loader_ctx_open(loader, config_path, &copts, &lctx, &err);
    if (rc != PMP_OK) {
        ret = print_error(api, rc, &err);
        goto out_close_loader;
    }

    if (op->is_notify)
        rc = api->notify(pmp_loader_ctx_get(lctx), request, request_len, headers, headers_len,
                         &result, &err);
    else
        rc = host_operation_fn(api, op)(pmp_loader_ctx_get(lctx), request, request_len, &result,
                                        &err);
    if (rc != PMP_OK) {
        ret = print_error(api, rc, &err);
        goto out_close_ctx;
    }
    ret = print_result(api, result);
    api->result_free(result);

out_close_ctx:
    pmp_loader_ctx_close(lctx);
out_close_loader:
    pmp_loader_close(loader);
out_free_inputs:
    free(headers);
    free(request);
    return ret;
}

int main(int argc, char **argv)
{
    host_args a;
    int rc;

    memset(&a, 0, sizeof(a));
    a.opts.log_level = PMP_LOG_WARN;

    /* The plugin promises not to touch signal dispositions, so the host owns
     * SIGPIPE: a peer closing a TLS connection, or a closed stdout, must be
     * an error return and not a silent death. */
    (void)signal(SIGPIPE, SIG_IGN);

    rc = parse_args(argc, argv, &a);
    if (rc > 0)
        return HOST_EXIT_OK;
    if (rc < 0) {
        (void)fprintf(stderr, "Try 'pmp-host --help'.\n");
        return HOST_EXIT_USAGE;
    }
    if (strcmp(a.operation, "demo") == 0)
        return host_demo_run(&a.opts);
    if (a.sub_argv != NULL && strcmp(a.operation, "bulk") == 0)
        return host_bulk_main(&a.opts, a.sub_argc, a.sub_argv);
    if (a.sub_argv != NULL && strcmp(a.operation, "receive") == 0)
        return host_receive_main(&a.opts, a.sub_argc, a.sub_argv);
    if (a.sub_argv != NULL && strcmp(a.operation, "clock") == 0)
        return host_clock_main(&a.opts, a.sub_argc, a.sub_argv);
    return run_operation(&a);
}
