/*
 * test_methods.c - the loader's methods files in C, without PHP in between:
 * the shared corpus (testdata/methods) with the test-only fake plugin, the
 * lookups, eligibility without screening, and wrong use. Runs in the
 * sanitizer build too, where the PHP suite cannot.
 *
 *   test_methods CORPUS_DIR FAKE_PLUGIN WORK_DIR
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmp_loader.h"

static int passed, failed;

static void check(const char *what, int ok, const char *detail)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    }
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Writes text with every @PLUGIN@/@CONFIG@ replaced. */
static int write_subst(const char *path, const char *text, const char *plugin)
{
    FILE *f = fopen(path, "w");
    const char *p = text;

    if (!f)
        return -1;
    while (*p) {
        if (strncmp(p, "@PLUGIN@", 8) == 0) {
            fputs(plugin, f);
            p += 8;
        } else if (strncmp(p, "@CONFIG@", 8) == 0) {
            fputs("/dev/null", f);
            p += 8;
        } else {
            fputc(*p++, f);
        }
    }
    return fclose(f);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static void corpus(const char *dir, const char *plugin, const char *work)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);

    check("corpus readable", n > 10, dir);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        size_t len = strlen(name);
        char src[4096], dst[4096], expect[512], msg[2048];
        pmp_error err = {.struct_size = sizeof(err)};
        pmp_methods *ms = NULL;
        char *text;
        unsigned count, line;
        int32_t rc;

        if (len < 6 || strcmp(name + len - 5, ".yaml") != 0) {
            free(names[i]);
            continue;
        }
        snprintf(src, sizeof(src), "%s/%s", dir, name);
        snprintf(dst, sizeof(dst), "%s/%s", work, name);
        text = read_all(src);
        if (!text || write_subst(dst, text, plugin) != 0) {
            check(name, 0, "cannot copy");
            free(text);
            free(names[i]);
            continue;
        }
        rc = pmp_methods_open(dst, NULL, &ms, &err);
        if (sscanf(text, "# expect: ok %u", &count) == 1) {
            snprintf(msg, sizeof(msg), "rc %d: %s", (int)rc, rc ? err.message : "");
            check(name, rc == PMP_OK && pmp_methods_count(ms) == count, msg);
        } else if (sscanf(text, "# expect: error %u: %511[^\n]", &line, expect) == 2) {
            char needle[700];

            snprintf(needle, sizeof(needle), "%s:%u: %s", name, line, expect);
            snprintf(msg, sizeof(msg), "rc %d: %s (wanted %s)", (int)rc, err.message, needle);
            check(name, rc != PMP_OK && ms == NULL && err.code == rc &&
                            strstr(err.message, needle) != NULL,
                  msg);
        } else {
            check(name, 0, "no expect line");
        }
        pmp_methods_close(ms);
        free(text);
        free(names[i]);
    }
    free(names);
}

static void list_and_offers(const char *plugin, const char *work)
{
    char path[4096];
    FILE *f;
    pmp_methods *ms = NULL;
    pmp_error err = {.struct_size = sizeof(err)};
    pmp_cart cart = {.struct_size = sizeof(cart), .amount = 500};
    pmp_method_offer o = {.struct_size = sizeof(o)};
    const pmp_method_info *a, *b;

    snprintf(path, sizeof(path), "%s/two.yaml", work);
    f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "methods:\n  - name: a\n    label: First\n    plugin: %s\n    config: /dev/null\n"
               "  - name: b\n    label: \"Second \\u8acb\"\n    plugin: %s\n    config: x.yaml\n",
            plugin, plugin);
    fclose(f);
    snprintf(path, sizeof(path), "%s/x.yaml", work);
    f = fopen(path, "w"); /* the fake plugin takes any configuration */
    if (f)
        fclose(f);
    snprintf(path, sizeof(path), "%s/two.yaml", work);
    check("open", pmp_methods_open(path, NULL, &ms, &err) == PMP_OK, err.message);
    if (!ms)
        return;
    a = pmp_methods_at(ms, 0);
    b = pmp_methods_find(ms, "b");
    check("count", pmp_methods_count(ms) == 2, NULL);
    check("at/find", a && b && strcmp(a->name, "a") == 0 && pmp_methods_at(ms, 2) == NULL &&
                         pmp_methods_find(ms, "c") == NULL && pmp_methods_find(ms, NULL) == NULL,
          NULL);
    check("label decoded", b && strcmp(b->label, "Second \xe8\xab\x8b") == 0, b ? b->label : "");
    check("relative config resolved", b && strstr(b->config_path, "/x.yaml") &&
                                          strncmp(b->config_path, work, strlen(work)) == 0,
          b ? b->config_path : "");
    check("capabilities read", a && a->payer_enrollment == 0 && a->amount_min == 1 &&
                                   a->amount_max == 1000 && a->capabilities_len > 0 &&
                                   strstr(a->capabilities_json, "\"fake\"") && a->api && a->ctx,
          NULL);
    check("no screening: offered without a buyer",
          pmp_methods_check(ms, 0, &cart, &o, &err) == PMP_OK && o.eligible == 1 &&
              strcmp(o.reason, "ok") == 0 && o.method == a && o.rest_amount == -1,
          o.reason);
    cart.amount = 5000;
    check("over amount_max: hidden",
          pmp_methods_check(ms, 1, &cart, &o, &err) == PMP_OK && o.eligible == 0 &&
              strcmp(o.reason, "amount_out_of_range") == 0,
          o.reason);
    cart.amount = -1;
    check("negative amount: invalid",
          pmp_methods_check(ms, 0, &cart, &o, &err) == PMP_E_INVALID_ARG, NULL);
    cart.amount = 1;
    check("index out of range: invalid",
          pmp_methods_check(ms, 2, &cart, &o, NULL) == PMP_E_INVALID_ARG, NULL);
    o.struct_size = 4;
    check("small offer struct: invalid",
          pmp_methods_check(ms, 0, &cart, &o, NULL) == PMP_E_INVALID_ARG, NULL);
    pmp_methods_close(ms);

    check("NULL path", pmp_methods_open(NULL, NULL, &ms, &err) == PMP_E_INVALID_ARG && !ms, NULL);
    check("missing file",
          pmp_methods_open("/nonexistent/m.yaml", NULL, &ms, &err) == PMP_LOADER_E_METHODS &&
              strstr(err.message, "/nonexistent/m.yaml"),
          err.message);
    check("strerror", strcmp(pmp_loader_strerror(PMP_LOADER_E_METHODS), "methods file is invalid") == 0,
          NULL);
    pmp_methods_close(NULL);
    check("NULL-safe accessors", pmp_methods_count(NULL) == 0 && pmp_methods_at(NULL, 0) == NULL,
          NULL);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_methods CORPUS_DIR FAKE_PLUGIN WORK_DIR\n");
        return 2;
    }
    corpus(argv[1], argv[2], argv[3]);
    list_and_offers(argv[2], argv[3]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
