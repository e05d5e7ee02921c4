/*
 * sandbox_proc.h - run paid-sandbox as a child process for the demo, and
 * the scratch directory it lives in. Internal to pmp-host.
 */
#ifndef PMP_HOST_SANDBOX_PROC_H
#define PMP_HOST_SANDBOX_PROC_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* A started sandbox. Zero-initialise; host_sandbox_stop() releases
 * everything and leaves it zeroed, so it may be called on any path. */
typedef struct host_sandbox {
    pid_t pid;      /* > 0 while the child runs (or is unreaped) */
    char *url;      /* PAID_SANDBOX_URL, owned */
    char *ca_file;  /* PAID_SANDBOX_CA, owned */
    char *log_path; /* the child's stdout+stderr, owned */
} host_sandbox;

/* Starts exe with --port 0 --state-dir <workdir>/state --db :memory:
 * --ready-file <workdir>/ready --quiet, and waits up to timeout_ms for the
 * ready file to say PAID_SANDBOX_READY=1. The child's output goes to
 * <workdir>/sandbox.log. cancel, when not NULL, is polled while waiting: a
 * non-zero value stops the wait (SIGINT). Returns 0, or -1 with a message in
 * msg; on failure the child, if any, is still recorded in sb so that
 * host_sandbox_stop() reaps it. */
int host_sandbox_start(host_sandbox *sb, const char *exe, const char *workdir, int timeout_ms,
                       const volatile sig_atomic_t *cancel, char *msg, size_t msg_size);

/* Most extra arguments host_sandbox_start_ex() passes on. */
#define HOST_SANDBOX_EXTRA_MAX 16

/* As host_sandbox_start(), with the files named <workdir>/<name>-state,
 * <name>-ready and <name>-sandbox.log when name is not NULL (so that two
 * sandboxes can share a directory), and extra_args (NULL-terminated, at
 * most HOST_SANDBOX_EXTRA_MAX; may be NULL) appended to the command line,
 * e.g. --notify-url URL. */
int host_sandbox_start_ex(host_sandbox *sb, const char *exe, const char *workdir, const char *name,
                          const char *const *extra_args, int timeout_ms,
                          const volatile sig_atomic_t *cancel, char *msg, size_t msg_size);

/* SIGTERM, wait up to 5 s, then SIGKILL; reaps the child and frees the
 * strings. Safe on a zeroed or already stopped sb. Returns the child's wait
 * status, or -1 when there was no child. */
int host_sandbox_stop(host_sandbox *sb);

/* "exited with status N" / "was killed by signal N (name)" for a wait
 * status. */
void host_wait_status_describe(int status, char *buf, size_t size);

/* Copies the last max_lines lines of the sandbox's output to f, each
 * prefixed with prefix. For failure reports. */
void host_sandbox_log_tail(const host_sandbox *sb, FILE *f, const char *prefix, int max_lines);

/* Creates a fresh private directory ($TMPDIR or /tmp)/pmp-demo-XXXXXX.
 * Returns a heap string the caller frees, or NULL with msg set. */
char *host_workdir_create(char *msg, size_t msg_size);

/* Removes dir and everything below it, without following symbolic links.
 * Returns 0 or -1. NULL is a no-op returning 0. */
int host_workdir_remove(const char *dir);

#endif /* PMP_HOST_SANDBOX_PROC_H */
