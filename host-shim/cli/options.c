/* Command-line options every pmp-host command shares. */
#include "host.h"

#include <stdio.h>
#include <string.h>

#include "pmp_loader.h"

int host_opt_is(const char *arg, const char *name)
{
    size_t n = strlen(name);

    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

int host_opt_value(int argc, char **argv, int *i, const char **out)
{
    const char *a = argv[*i];
    const char *eq = strchr(a, '=');

    if (eq != NULL) {
        *out = eq + 1;
        return 0;
    }
    if (*i + 1 >= argc) {
        (void)fprintf(stderr, "pmp-host: %s needs a value\n", a);
        return -1;
    }
    *out = argv[++*i];
    return 0;
}

int host_common_option(int argc, char **argv, int *i, host_options *g)
{
    const char *a = argv[*i];
    const char *v;

    if (host_opt_is(a, "--plugin"))
        return host_opt_value(argc, argv, i, &g->plugin_path) == 0 ? 1 : -1;
    if (host_opt_is(a, "--config"))
        return host_opt_value(argc, argv, i, &g->config_path) == 0 ? 1 : -1;
    if (!host_opt_is(a, "--log-level"))
        return 0;
    if (host_opt_value(argc, argv, i, &v) != 0)
        return -1;
    g->log_level = pmp_loader_log_level_parse(v);
    if (g->log_level < 0) {
        (void)fprintf(stderr, "pmp-host: unknown log level '%s'\n", v);
        return -1;
    }
    g->log_level_set = 1;
    return 1;
}
