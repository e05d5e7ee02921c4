#include "tsbx.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_TIMEOUT_MS 30000

static int read_ready(tsbx *sb, const char *path)
{
    char line[600];
    FILE *f = fopen(path, "r");
    int ready = 0;

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!strncmp(line, "PAID_SANDBOX_URL=", 17))
            snprintf(sb->base_url, sizeof(sb->base_url), "%.200s", line + 17);
        else if (!strncmp(line, "PAID_SANDBOX_CA=", 16))
            snprintf(sb->ca_file, sizeof(sb->ca_file), "%.500s", line + 16);
        else if (!strcmp(line, "PAID_SANDBOX_READY=1"))
            ready = 1;
    }
    fclose(f);
    /* a plain-HTTP sandbox (--http) announces no CA file */
    return ready && sb->base_url[0] && (sb->ca_file[0] || !strncmp(sb->base_url, "http://", 7));
}

int tsbx_start(tsbx *sb, const char *exe, const char *dir, const char *name,
               const char *const *extra)
{
    char ready[400], state[400], log[400], *slash;
    const char *argv[32];
    int i, n = 0;

    memset(sb, 0, sizeof(*sb));
    sb->pid = -1;
    if (dir) {
        snprintf(sb->workdir, sizeof(sb->workdir), "%s", dir);
    } else {
        snprintf(sb->workdir, sizeof(sb->workdir), "%s/pmp-sbx-XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(sb->workdir))
            return -1;
        sb->own_workdir = 1;
    }
    snprintf(ready, sizeof(ready), "%s/%s.ready", sb->workdir, name);
    snprintf(state, sizeof(state), "%s/%s.state", sb->workdir, name);
    snprintf(log, sizeof(log), "%s/%s.log", sb->workdir, name);
    argv[n++] = exe;
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--state-dir";
    argv[n++] = state;
    argv[n++] = "--db";
    argv[n++] = ":memory:";
    argv[n++] = "--ready-file";
    argv[n++] = ready;
    argv[n++] = "--quiet";
    for (i = 0; extra && extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    fflush(NULL);
    sb->pid = fork();
    if (sb->pid < 0)
        return -1;
    if (sb->pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        /* a test killed half-way must not leave the sandbox behind */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    for (i = 0; i < READY_TIMEOUT_MS / 50; i++) {
        struct timespec ts = {0, 50 * 1000000L};
        int st;

        if (read_ready(sb, ready)) {
            snprintf(sb->admin_url, sizeof(sb->admin_url), "%s", sb->base_url);
            slash = strstr(sb->admin_url, "/payment/");
            if (!slash)
                return -1;
            snprintf(slash, sizeof(sb->admin_url) - (size_t)(slash - sb->admin_url), "/_sandbox/");
            return 0;
        }
        if (waitpid(sb->pid, &st, WNOHANG) == sb->pid) {
            sb->pid = -1;
            fprintf(stderr, "sandbox exited early; see %s\n", log);
            return -1;
        }
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "sandbox not ready after %d s; see %s\n", READY_TIMEOUT_MS / 1000, log);
    return -1;
}

void tsbx_stop(tsbx *sb)
{
    if (sb->pid > 0) {
        kill(sb->pid, SIGTERM);
        waitpid(sb->pid, NULL, 0);
    }
    sb->pid = -1;
    if (sb->own_workdir && !getenv("IT_KEEP") && !getenv("ROB_KEEP")) {
        char cmd[400];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sb->workdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", sb->workdir);
        sb->own_workdir = 0;
    }
}
