/*
 * host.h - internals shared by the files of the pmp-host command.
 * Not installed, not API.
 */
#ifndef PMP_HOST_H
#define PMP_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pmp.h"

/* Exit codes of pmp-host. */
#define HOST_EXIT_OK 0
#define HOST_EXIT_FAIL 1
#define HOST_EXIT_USAGE 2
#define HOST_EXIT_UNKNOWN 3

/* Largest request, notification body or headers document read from a file
 * or stdin. Requests are a few kilobytes; this only stops a wrong path. */
#define HOST_INPUT_MAX (16u * 1024u * 1024u)

#if defined(__GNUC__) || defined(__clang__)
#define HOST_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define HOST_PRINTF(f, a)
#endif

/* Options common to the operation mode and the demo. Strings are borrowed
 * from argv or the environment. */
typedef struct host_options {
    const char *plugin_path; /* NULL: default */
    const char *config_path; /* NULL: default */
    int32_t log_level;       /* PMP_LOG_* or 0 */
    int log_level_set;       /* --log-level was given */
    /* demo only */
    const char *sandbox_path; /* NULL: default */
    int keep;                 /* keep the temp dir */
} host_options;

/* One operation of the table, by its command-line name. */
typedef struct host_operation {
    const char *name;
    /* offset of the pmp_operation_fn member in pmp_api; notify is special */
    size_t offset;
    int is_notify;
} host_operation;

/* NULL when name is not an operation. */
const host_operation *host_operation_find(const char *name);

/* Command-line options shared by every command. */
/** Whether arg is --name or --name=VALUE. */
int host_opt_is(const char *arg, const char *name);
/** The value of the option at argv[*i], from --name=VALUE or the next
 *  argument (advancing *i). 0, or -1 when it is missing (printed). */
int host_opt_value(int argc, char **argv, int *i, const char **out);
/** --plugin, --config and --log-level, which every command takes, into g:
 *  1 when argv[*i] was one of them, 0 when not, -1 on a usage error
 *  (printed). */
int host_common_option(int argc, char **argv, int *i, host_options *g);
/* The function for op in api; NULL for notify (it has another shape). */
pmp_operation_fn host_operation_fn(const pmp_api *api, const host_operation *op);

/* Reads a whole file ("-" is stdin) into a NUL-terminated heap buffer the
 * caller frees. Returns 0, or -1 with a message in msg. */
int host_read_file(const char *path, char **out, size_t *out_len, char *msg, size_t msg_size);

/* The directory of the running executable, from /proc/self/exe. Returns 0,
 * or -1 when it cannot be known. */
int host_exe_dir(char *buf, size_t size);

/* Resolves a path default: env var (if set and non-empty), else
 * <exe dir>/<build_rel> if that file exists, else installed. Writes into buf;
 * returns 0, or -1 if the result does not fit. */
int host_default_path(const char *env_name, const char *build_rel, const char *installed,
                      char *buf, size_t size);

/* The plugin to load: --plugin, $PMP_PLUGIN, the build tree, the installed
 * one. Returns 0, or -1 when the path does not fit in buf. */
int host_resolve_plugin(const host_options *opts, char *buf, size_t size);
/* The configuration file: --config, $PMP_CONFIG, ./config.yaml. */
const char *host_resolve_config(const host_options *opts);

/* The demo: pmp-host demo [...]. Returns an exit code. */
int host_demo_run(const host_options *opts);

/* pmp-host [global options] receive [...] and clock [...]: argv[0] is the
 * command's name. Return the exit status. */
int host_receive_main(const host_options *opts, int argc, char **argv);
int host_clock_main(const host_options *opts, int argc, char **argv);

/* 1234567 -> "1,234,567" in buf; returns buf. */
const char *host_fmt_yen(long long v, char *buf, size_t size);

struct json_object;
/* Prints the events of a clock/advance or clock/set answer of the sandbox,
 * one line each, every line starting with indent. Returns how many. */
int host_clock_print_events(FILE *f, struct json_object *answer, const char *indent);

#endif /* PMP_HOST_H */
