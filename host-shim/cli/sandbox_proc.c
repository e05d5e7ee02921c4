/*
 * sandbox_proc.c - start, watch and stop paid-sandbox for the demo; make and
 * remove its scratch directory.
 */
/* nftw() is an XSI interface. */
#define _XOPEN_SOURCE 700

#include "sandbox_proc.h"
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_POLL_MS 50
#define STOP_GRACE_MS 5000

static long long now_ms(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    /* An interrupted sleep just ends early; every caller polls in a loop. */
    (void)nanosleep(&ts, NULL);
}

static char *dup_printf_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    char *s = malloc(n);

    if (s != NULL)
        (void)snprintf(s, n, "%s/%s", dir, name);
    return s;
}

/* Looks for KEY=value lines in the ready file. Returns 1 when ready (and
 * fills url/ca), 0 when not yet, -1 on allocation failure. */
static int ready_file_parse(const char *path, host_sandbox *sb)
{
    char msg[256];
    char *text = NULL;
    size_t len = 0;
    char *line;
    char *next;
    int ready = 0;
    char *url = NULL;
    char *ca = NULL;
    int ret = 0;

    if (host_read_file(path, &text, &len, msg, sizeof(msg)) != 0)
        return 0; /* not written yet */

    for (line = text; line != NULL && *line != '\0'; line = next) {
        char *eol = strchr(line, '\n');

        next = NULL;
        if (eol != NULL) {
            *eol = '\0';
            next = eol + 1;
        }
        if (eol != NULL && eol > line && eol[-1] == '\r')
            eol[-1] = '\0';
        if (strncmp(line, "PAID_SANDBOX_URL=", 17) == 0 && url == NULL) {
            url = strdup(line + 17);
            if (url == NULL)
                ret = -1;
        } else if (strncmp(line, "PAID_SANDBOX_CA=", 16) == 0 && ca == NULL) {
            ca = strdup(line + 16);
            if (ca == NULL)
                ret = -1;
        } else if (strcmp(line, "PAID_SANDBOX_READY=1") == 0) {
            ready = 1;
        }
    }
    free(text);

    /* The READY line comes last; until it is there, the other lines may be
     * half written. */
    if (ret == 0 && ready && url != NULL && ca != NULL && url[0] != '\0' && ca[0] != '\0') {
        free(sb->url);
        free(sb->ca_file);
        sb->url = url;
        sb->ca_file = ca;
        return 1;
    }
    free(url);
    free(ca);
    return ret;
}

void host_wait_status_describe(int status, char *buf, size_t size)
{
    if (WIFEXITED(status))
        (void)snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        (void)snprintf(buf, size, "was killed by signal %d (%s)", WTERMSIG(status),
                       strsignal(WTERMSIG(status)));
    else
        (void)snprintf(buf, size, "stopped (status 0x%x)", (unsigned)status);
}

int host_sandbox_start(host_sandbox *sb, const char *exe, const char *workdir, int timeout_ms,
                       const volatile sig_atomic_t *cancel, char *msg, size_t msg_size)
{
    return host_sandbox_start_ex(sb, exe, workdir, NULL, NULL, timeout_ms, cancel, msg, msg_size);
}

/* "<name>-<file>" or "<file>" */
static char *named_path(const char *dir, const char *name, const char *file)
{
    size_t n;
    char *s;

    if (name == NULL)
        return dup_printf_path(dir, file);
    n = strlen(dir) + 1 + strlen(name) + 1 + strlen(file) + 1;
    s = malloc(n);
    if (s != NULL)
        (void)snprintf(s, n, "%s/%s-%s", dir, name, file);
    return s;
}

int host_sandbox_start_ex(host_sandbox *sb, const char *exe, const char *workdir, const char *name,
                          const char *const *extra_args, int timeout_ms,
                          const volatile sig_atomic_t *cancel, char *msg, size_t msg_size)
{
    char *state_dir = NULL;
    char *ready_file = NULL;
    char *argv[11 + HOST_SANDBOX_EXTRA_MAX];
    size_t nextra = 0;
    int log_fd = -1;
    int null_fd = -1;
    int exec_pipe[2] = {-1, -1};
    pid_t parent = getpid();
    pid_t pid;
    int child_errno = 0;
    ssize_t n;
    long long deadline;
    int ret = -1;

    while (extra_args != NULL && extra_args[nextra] != NULL)
        nextra++;
    if (nextra > HOST_SANDBOX_EXTRA_MAX) {
        (void)snprintf(msg, msg_size, "too many sandbox arguments");
        return -1;
    }
    sb->log_path = named_path(workdir, name, "sandbox.log");
    state_dir = named_path(workdir, name, "state");
    ready_file = named_path(workdir, name, "ready");
    if (sb->log_path == NULL || state_dir == NULL || ready_file == NULL) {
        (void)snprintf(msg, msg_size, "out of memory");
        goto out_free_paths;
    }
    if (access(exe, X_OK) != 0) {
        (void)snprintf(msg, msg_size, "%s (build it, or pass --sandbox PATH)", strerror(errno));
        goto out_free_paths;
    }
    if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
        (void)snprintf(msg, msg_size, "%s: %s", state_dir, strerror(errno));
        goto out_free_paths;
    }

    log_fd = open(sb->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (log_fd < 0) {
        (void)snprintf(msg, msg_size, "%s: %s", sb->log_path, strerror(errno));
        goto out_free_paths;
    }
    null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0) {
        (void)snprintf(msg, msg_size, "/dev/null: %s", strerror(errno));
        goto out_close_fds;
    }
    /* The child writes its exec errno here; EOF means exec succeeded. */
    /* pipe2() is not POSIX; no other thread of ours forks, so setting
     * FD_CLOEXEC right after pipe() leaves no window. */
    if (pipe(exec_pipe) != 0) {
        (void)snprintf(msg, msg_size, "pipe: %s", strerror(errno));
        goto out_close_fds;
    }
    if (fcntl(exec_pipe[0], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(exec_pipe[1], F_SETFD, FD_CLOEXEC) != 0) {
        (void)snprintf(msg, msg_size, "fcntl: %s", strerror(errno));
        goto out_close_fds;
    }

    /* Built before fork: the child may only make async-signal-safe calls. */
    argv[0] = (char *)exe;
    argv[1] = (char *)"--port";
    argv[2] = (char *)"0";
    argv[3] = (char *)"--state-dir";
    argv[4] = state_dir;
    argv[5] = (char *)"--db";
    argv[6] = (char *)":memory:";
    argv[7] = (char *)"--ready-file";
    argv[8] = ready_file;
    argv[9] = (char *)"--quiet";
    {
        size_t i;

        for (i = 0; i < nextra; i++)
            argv[10 + i] = (char *)(uintptr_t)extra_args[i];
        argv[10 + nextra] = NULL;
    }

    (void)fflush(NULL); /* do not let the child inherit and repeat our buffers */
    pid = fork();
    if (pid < 0) {
        (void)snprintf(msg, msg_size, "fork: %s", strerror(errno));
        goto out_close_fds;
    }
    if (pid == 0) {
        struct sigaction sa;
        sigset_t none;
        int e;

        /* If the demo dies without stopping us, do not linger on a port. */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
            _exit(126);
        /* Our SIGPIPE is ignored and ignored dispositions survive exec. */
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        (void)sigaction(SIGPIPE, &sa, NULL);
        (void)sigemptyset(&none);
        (void)sigprocmask(SIG_SETMASK, &none, NULL);
        if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
            dup2(log_fd, STDERR_FILENO) < 0)
            _exit(126);
        execv(exe, argv);
        e = errno;
        (void)write(exec_pipe[1], &e, sizeof(e));
        _exit(127);
    }
    sb->pid = pid;

    (void)close(exec_pipe[1]);
    exec_pipe[1] = -1;
    do {
        n = read(exec_pipe[0], &child_errno, sizeof(child_errno));
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        (void)snprintf(msg, msg_size, "cannot run it: %s", strerror(child_errno));
        goto out_close_fds;
    }

    deadline = now_ms() + timeout_ms;
    for (;;) {
        int status;
        pid_t w;
        int r = ready_file_parse(ready_file, sb);

        if (r > 0)
            break;
        if (r < 0) {
            (void)snprintf(msg, msg_size, "out of memory");
            goto out_close_fds;
        }
        w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            char how[128];

            sb->pid = 0;
            host_wait_status_describe(status, how, sizeof(how));
            (void)snprintf(msg, msg_size, "the sandbox %s before it was ready", how);
            goto out_close_fds;
        }
        if (cancel != NULL && *cancel) {
            (void)snprintf(msg, msg_size, "interrupted while waiting for the sandbox");
            goto out_close_fds;
        }
        if (now_ms() >= deadline) {
            (void)snprintf(msg, msg_size, "the sandbox was not ready within %d s (no %s)",
                           timeout_ms / 1000, "PAID_SANDBOX_READY=1 in its ready file");
            goto out_close_fds;
        }
        sleep_ms(READY_POLL_MS);
    }
    ret = 0;

out_close_fds:
    if (exec_pipe[0] >= 0)
        (void)close(exec_pipe[0]);
    if (exec_pipe[1] >= 0)
        (void)close(exec_pipe[1]);
    if (null_fd >= 0)
        (void)close(null_fd);
    if (log_fd >= 0)
        (void)close(log_fd);
out_free_paths:
    free(state_dir);
    free(ready_file);
    return ret;
}

int host_sandbox_stop(host_sandbox *sb)
{
    int status = -1;

    if (sb->pid > 0) {
        long long deadline = now_ms() + STOP_GRACE_MS;
        pid_t w = 0;

        (void)kill(sb->pid, SIGTERM);
        while (now_ms() < deadline) {
            w = waitpid(sb->pid, &status, WNOHANG);
            if (w != 0)
                break;
            sleep_ms(20);
        }
        if (w == 0) {
            /* It ignored SIGTERM for 5 s: stop it for real. */
            (void)kill(sb->pid, SIGKILL);
            do {
                w = waitpid(sb->pid, &status, 0);
            } while (w < 0 && errno == EINTR);
        }
        if (w < 0)
            status = -1;
        sb->pid = 0;
    }
    free(sb->url);
    free(sb->ca_file);
    free(sb->log_path);
    sb->url = NULL;
    sb->ca_file = NULL;
    sb->log_path = NULL;
    return status;
}

void host_sandbox_log_tail(const host_sandbox *sb, FILE *f, const char *prefix, int max_lines)
{
    char msg[256];
    char *text = NULL;
    size_t len = 0;
    size_t start;
    int lines = 0;
    char *line;
    char *next;

    if (sb->log_path == NULL || host_read_file(sb->log_path, &text, &len, msg, sizeof(msg)) != 0)
        return;
    /* Walk back max_lines line ends (ignoring a final one). */
    start = len;
    if (start > 0 && text[start - 1] == '\n')
        start--;
    while (start > 0) {
        if (text[start - 1] == '\n' && ++lines >= max_lines)
            break;
        start--;
    }
    for (line = text + start; *line != '\0'; line = next) {
        char *eol = strchr(line, '\n');

        next = eol != NULL ? eol + 1 : line + strlen(line);
        if (eol != NULL)
            *eol = '\0';
        (void)fprintf(f, "%s%s\n", prefix, line);
    }
    free(text);
}

char *host_workdir_create(char *msg, size_t msg_size)
{
    const char *tmp = getenv("TMPDIR");
    char *dir;
    size_t n;

    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp";
    n = strlen(tmp) + sizeof("/pmp-demo-XXXXXX");
    dir = malloc(n);
    if (dir == NULL) {
        (void)snprintf(msg, msg_size, "out of memory");
        return NULL;
    }
    (void)snprintf(dir, n, "%s/pmp-demo-XXXXXX", tmp);
    if (mkdtemp(dir) == NULL) {
        (void)snprintf(msg, msg_size, "cannot create a directory in %s: %s", tmp,
                       strerror(errno));
        free(dir);
        return NULL;
    }
    return dir;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    /* Keep going on errors: remove as much as possible; the caller checks
     * at the end whether the directory is gone. */
    (void)remove(path);
    return 0;
}

int host_workdir_remove(const char *dir)
{
    struct stat st;

    if (dir == NULL)
        return 0;
    /* FTW_DEPTH: children before their directory; FTW_PHYS: never follow
     * a symbolic link out of the tree. */
    if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return -1;
    return lstat(dir, &st) == 0 ? -1 : 0;
}
