/*
 * sandbox_admin.c - a small libcurl client for the sandbox's admin JSON.
 */
#include "sandbox_admin.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The request log of a demo run is a few kilobytes, a benchmark's a few
 * megabytes; the cap keeps a broken server from filling memory. */
#define ADMIN_BODY_MAX (64u * 1024u * 1024u)

struct host_admin {
    CURL *curl;    /* kept for the whole demo: one TLS handshake, reused */
    char *root;    /* "https://127.0.0.1:PORT/", owned */
    char *ca_file; /* owned */
};

typedef struct admin_body {
    char *data;
    size_t len;
    size_t cap;
    int too_big;
} admin_body;

static size_t admin_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    admin_body *b = userdata;
    size_t n = size * nmemb;

    if (n > ADMIN_BODY_MAX - b->len) {
        b->too_big = 1;
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    }
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap == 0 ? 16384 : b->cap;
        char *nd;

        while (ncap < b->len + n + 1)
            ncap *= 2;
        nd = realloc(b->data, ncap);
        if (nd == NULL)
            return 0;
        b->data = nd;
        b->cap = ncap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* "https://host:port/payment/" -> "https://host:port/": drop the last
 * path segment, the way "<base>/.." resolves. */
static char *admin_root_from_base(const char *base)
{
    size_t len = strlen(base);
    char *root;

    while (len > 0 && base[len - 1] == '/')
        len--;
    while (len > 0 && base[len - 1] != '/')
        len--;
    /* Refuse to climb above "scheme://host/". */
    if (len == 0 || (len >= 2 && base[len - 2] == '/'))
        return NULL;
    root = malloc(len + 1);
    if (root == NULL)
        return NULL;
    memcpy(root, base, len);
    root[len] = '\0';
    return root;
}

int host_admin_open(const char *base_url, const char *ca_file, host_admin **out, char *msg,
                    size_t msg_size)
{
    host_admin *admin;

    *out = NULL;
    admin = calloc(1, sizeof(*admin));
    if (admin == NULL) {
        (void)snprintf(msg, msg_size, "out of memory");
        return -1;
    }
    admin->root = admin_root_from_base(base_url);
    if (admin->root == NULL) {
        (void)snprintf(msg, msg_size, "cannot derive the admin URL from %s", base_url);
        goto fail_free_admin;
    }
    admin->ca_file = ca_file != NULL ? strdup(ca_file) : NULL;
    admin->curl = curl_easy_init();
    if ((ca_file != NULL && admin->ca_file == NULL) || admin->curl == NULL) {
        (void)snprintf(msg, msg_size, "out of memory");
        goto fail_free_admin;
    }
    *out = admin;
    return 0;

fail_free_admin:
    host_admin_close(admin);
    return -1;
}

void host_admin_close(host_admin *admin)
{
    if (admin == NULL)
        return;
    if (admin->curl != NULL)
        curl_easy_cleanup(admin->curl);
    free(admin->root);
    free(admin->ca_file);
    free(admin);
}

int host_admin_requests(host_admin *admin, long long since, json_object **out, char *msg,
                        size_t msg_size)
{
    char path[64];

    (void)snprintf(path, sizeof(path), "_sandbox/requests?since=%lld", since);
    return host_admin_call(admin, "GET", path, out, msg, msg_size);
}

int host_admin_call(host_admin *admin, const char *method, const char *path, json_object **out,
                    char *msg, size_t msg_size)
{
    char errbuf[CURL_ERROR_SIZE];
    admin_body body;
    char url[1024];
    long http = 0;
    CURLcode cc;
    json_tokener *tok;
    json_object *doc;
    enum json_tokener_error jerr;
    int n;
    int ret = -1;

    *out = NULL;
    memset(&body, 0, sizeof(body));
    errbuf[0] = '\0';
    n = snprintf(url, sizeof(url), "%s%s", admin->root, path);
    if (n < 0 || (size_t)n >= sizeof(url)) {
        (void)snprintf(msg, msg_size, "admin URL too long");
        return -1;
    }

    curl_easy_reset(admin->curl);
    /* Checked one by one: a silently ignored option could mean an
     * unverified connection. */
    if (curl_easy_setopt(admin->curl, CURLOPT_URL, url) != CURLE_OK ||
        (admin->ca_file != NULL &&
         curl_easy_setopt(admin->curl, CURLOPT_CAINFO, admin->ca_file) != CURLE_OK) ||
        curl_easy_setopt(admin->curl, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
        curl_easy_setopt(admin->curl, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
        curl_easy_setopt(admin->curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        curl_easy_setopt(admin->curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(admin->curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L) != CURLE_OK ||
        curl_easy_setopt(admin->curl, CURLOPT_TIMEOUT_MS, 60000L) != CURLE_OK ||
        curl_easy_setopt(admin->curl, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
        curl_easy_setopt(admin->curl, CURLOPT_WRITEFUNCTION, admin_write) != CURLE_OK ||
        curl_easy_setopt(admin->curl, CURLOPT_WRITEDATA, &body) != CURLE_OK ||
        (strcmp(method, "POST") == 0 &&
         (curl_easy_setopt(admin->curl, CURLOPT_POST, 1L) != CURLE_OK ||
          curl_easy_setopt(admin->curl, CURLOPT_POSTFIELDS, "") != CURLE_OK)) ||
        (strcmp(method, "DELETE") == 0 &&
         curl_easy_setopt(admin->curl, CURLOPT_CUSTOMREQUEST, "DELETE") != CURLE_OK)) {
        (void)snprintf(msg, msg_size, "libcurl refused an option");
        goto out_free_body;
    }

    cc = curl_easy_perform(admin->curl);
    if (cc != CURLE_OK) {
        (void)snprintf(msg, msg_size, "%s %s: %s", method, url,
                       body.too_big       ? "answer too large"
                       : errbuf[0] != '\0' ? errbuf
                                          : curl_easy_strerror(cc));
        goto out_free_body;
    }
    (void)curl_easy_getinfo(admin->curl, CURLINFO_RESPONSE_CODE, &http);
    if (http != 200) {
        /* The admin API explains a refusal as {"error":"..."}. */
        json_object *why = json_tokener_parse(body.data != NULL ? body.data : "");
        json_object *text = NULL;

        if (why != NULL && json_object_object_get_ex(why, "error", &text) &&
            json_object_is_type(text, json_type_string))
            (void)snprintf(msg, msg_size, "%s %s: HTTP %ld: %.300s", method, url, http,
                           json_object_get_string(text));
        else
            (void)snprintf(msg, msg_size, "%s %s: HTTP %ld", method, url, http);
        json_object_put(why);
        goto out_free_body;
    }

    tok = json_tokener_new();
    if (tok == NULL) {
        (void)snprintf(msg, msg_size, "out of memory");
        goto out_free_body;
    }
    doc = json_tokener_parse_ex(tok, body.data != NULL ? body.data : "", (int)body.len);
    jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (doc == NULL || jerr != json_tokener_success) {
        (void)snprintf(msg, msg_size, "%s %s: answer is not JSON (%s)", method, url,
                       json_tokener_error_desc(jerr));
        json_object_put(doc);
        goto out_free_body;
    }
    *out = doc;
    ret = 0;

out_free_body:
    free(body.data);
    return ret;
}
