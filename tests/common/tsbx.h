/* tsbx.h - starting and stopping the sandbox from test programs: one free
 * loopback port, a fresh state directory, an in-memory database, and the
 * URL and CA it announces in its ready file. Shared by the integration,
 * robustness and ABI tests. Not thread-safe; call from the main thread. */
#ifndef TSBX_H
#define TSBX_H

#include <sys/types.h>

typedef struct tsbx {
    pid_t pid;           /* > 0 while it runs */
    char workdir[256];   /* holds NAME.ready, NAME.state/, NAME.log */
    int own_workdir;     /* made by tsbx_start, removed by tsbx_stop */
    char base_url[256];  /* https://127.0.0.1:PORT/payment/ */
    char admin_url[256]; /* https://127.0.0.1:PORT/_sandbox/ */
    char ca_file[512];   /* empty for a plain-HTTP sandbox (--http) */
} tsbx;

/** Starts exe (paid-sandbox) with extra options (NULL-terminated, or NULL)
 *  in dir (NULL: a new temporary directory, removed by tsbx_stop), files
 *  named after name. Returns 0 once it is ready, -1 (message on stderr). */
int tsbx_start(tsbx *sb, const char *exe, const char *dir, const char *name,
               const char *const *extra);
/** SIGTERM and wait; removes the directory when tsbx_start made it. */
void tsbx_stop(tsbx *sb);

#endif
