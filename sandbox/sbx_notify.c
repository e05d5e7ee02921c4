#include "sbx_notify.h"

#include "sbx_buf.h"
#include "sbx_clock.h"
#include "sbx_form.h"
#include "sbx_log.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STATE_PENDING "pending"
#define STATE_UNSENT "unsent"
#define STATE_ACKED "acknowledged"
#define STATE_FAILED "failed"

/* §7: the passwords are never sent, only masks of fixed length. */
#define SHOP_PASS_MASK "**********"
#define ACCESS_PASS_MASK "********************************"

/* What of the receiver's answer is kept: enough to see why it was not "0". */
#define ANSWER_KEEP 1024
/* The sender wakes at least this often even without a kick. */
#define IDLE_WAKE_MS 1000

/* ---- queueing --------------------------------------------------------------------- */

static int64_t real_now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void copy_id(char *dst, size_t n, const char *src)
{
    (void)snprintf(dst, n, "%s", src);
}

static int insert(const sbx_app *app, sbx_notification *n, sbx_buf *body)
{
    copy_id(n->state, sizeof n->state, app->notify_enabled ? STATE_PENDING : STATE_UNSENT);
    n->next_attempt_ms = real_now_ms();  /* the first send goes out at once */
    n->body = sbx_buf_steal(body, NULL);
    if (n->body == NULL)
        return -1;
    int rc = sbx_store_notification_insert(app->store, n);
    free(n->body);
    n->body = NULL;
    return rc;
}

/* The fields of §7, in its order. */
static bool put_fields(sbx_buf *b, const char *shop_id, const sbx_txn *t, int64_t at,
                       const char *err_info)
{
    char amount[24] = "", tax[24] = "", date[16] = "", cancel_amount[24] = "",
         cancel_tax[24] = "", err_code[4] = "";
    if (t != NULL) {
        (void)snprintf(amount, sizeof amount, "%lld", (long long)t->amount);
        (void)snprintf(tax, sizeof tax, "%lld", (long long)t->tax);
        if (t->has_cancel) {
            (void)snprintf(cancel_amount, sizeof cancel_amount, "%lld",
                           (long long)t->cancel_amount);
            (void)snprintf(cancel_tax, sizeof cancel_tax, "%lld", (long long)t->cancel_tax);
        }
    }
    sbx_time_compact(at, date, sizeof date);
    if (strlen(err_info) >= 3)
        (void)snprintf(err_code, sizeof err_code, "%.3s", err_info);
    bool ok = sbx_form_put_pair(b, "ShopID", shop_id);
    ok = sbx_form_put_pair(b, "ShopPass", SHOP_PASS_MASK) && ok;
    ok = sbx_form_put_pair(b, "AccessID", t != NULL ? t->access_id : "") && ok;
    ok = sbx_form_put_pair(b, "AccessPass", t != NULL ? ACCESS_PASS_MASK : "") && ok;
    ok = sbx_form_put_pair(b, "OrderID", t != NULL ? t->order_id : "") && ok;
    ok = sbx_form_put_pair(b, "Status", t != NULL ? t->status : "") && ok;
    ok = sbx_form_put_pair(b, "JobCd", t != NULL ? t->job_cd : "") && ok;
    ok = sbx_form_put_pair(b, "Amount", amount) && ok;
    ok = sbx_form_put_pair(b, "Tax", tax) && ok;
    ok = sbx_form_put_pair(b, "Currency", "JPN") && ok;
    ok = sbx_form_put_pair(b, "PayType", "29") && ok;
    ok = sbx_form_put_pair(b, "TranDate", date) && ok;
    ok = sbx_form_put_pair(b, "ErrCode", err_code) && ok;
    ok = sbx_form_put_pair(b, "ErrInfo", err_info) && ok;
    ok = sbx_form_put_pair(b, "PaidBuyerID", t != NULL ? t->buyer_id : "") && ok;
    ok = sbx_form_put_pair(b, "PaidCode", t != NULL ? t->paid_code : "") && ok;
    ok = sbx_form_put_pair(b, "PaidCancelAmount", cancel_amount) && ok;
    ok = sbx_form_put_pair(b, "PaidCancelTax", cancel_tax) && ok;
    return ok;
}

int sbx_notify_queue_txn(const sbx_app *app, const sbx_txn *t, int64_t at,
                         const char *err_info)
{
    sbx_notification n;
    memset(&n, 0, sizeof n);
    copy_id(n.shop_id, sizeof n.shop_id, t->shop_id);
    copy_id(n.order_id, sizeof n.order_id, t->order_id);
    copy_id(n.status, sizeof n.status, t->status);
    copy_id(n.job_cd, sizeof n.job_cd, t->job_cd);
    copy_id(n.err_info, sizeof n.err_info, err_info);
    n.created_at = at;
    sbx_buf body;
    sbx_buf_init(&body);
    int rc = -1;
    if (put_fields(&body, t->shop_id, t, at, err_info))
        rc = insert(app, &n, &body);
    sbx_buf_free(&body);
    return rc;
}

int sbx_notify_queue_test(const sbx_app *app, const char *shop_id, int64_t at,
                          int64_t *id_out)
{
    static const char test_info[] = "E00000000";
    sbx_notification n;
    memset(&n, 0, sizeof n);
    copy_id(n.shop_id, sizeof n.shop_id, shop_id);
    copy_id(n.err_info, sizeof n.err_info, test_info);
    n.created_at = at;
    sbx_buf body;
    sbx_buf_init(&body);
    int rc = -1;
    if (put_fields(&body, shop_id, NULL, at, test_info))
        rc = insert(app, &n, &body);
    sbx_buf_free(&body);
    if (rc == 0)
        *id_out = n.id;
    return rc;
}

/* ---- the sender thread ----------------------------------------------------------------- */

struct sbx_notifier {
    sbx_store *store;              /* not owned */
    const char *url;               /* points into argv */
    const char *ca;                /* may be NULL */
    unsigned interval_s;
    unsigned retries;
    unsigned timeout_ms;
    pthread_t thread;
    pthread_mutex_t lock;          /* guards kicked and the wait */
    pthread_cond_t wake;           /* on CLOCK_MONOTONIC */
    bool kicked;
    atomic_bool stopping;          /* also read by libcurl's progress callback */
};

typedef struct answer {
    char data[ANSWER_KEEP + 1];
    size_t len;                    /* bytes kept */
    size_t total;                  /* bytes received */
} answer;

static size_t on_answer(char *ptr, size_t size, size_t nmemb, void *ud)
{
    answer *a = ud;
    size_t n = size * nmemb;
    size_t keep = ANSWER_KEEP - a->len < n ? ANSWER_KEEP - a->len : n;
    memcpy(a->data + a->len, ptr, keep);
    a->len += keep;
    a->data[a->len] = '\0';
    a->total += n;
    return n;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    const sbx_notifier *n = ud;
    return atomic_load(&n->stopping) ? 1 : 0;  /* non-zero aborts the transfer */
}

/* Printable ASCII for the JSON view; anything else becomes '?'. */
static void printable(char *dst, size_t n, const char *src, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < n; i++)
        dst[o++] = (src[i] >= 0x20 && src[i] <= 0x7e) ? src[i] : '?';
    dst[o] = '\0';
}

/* One POST of body; fills the attempt's status, answer and error. */
static void send_once(sbx_notifier *n, const char *body, sbx_notify_attempt *a)
{
    answer ans;
    memset(&ans, 0, sizeof ans);
    CURL *curl = curl_easy_init();
    struct curl_slist *hdr =
        curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded");
    if (curl == NULL || hdr == NULL) {
        (void)snprintf(a->error, sizeof a->error, "out of memory");
        goto cleanup;
    }
    curl_easy_setopt(curl, CURLOPT_URL, n->url);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)n->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    /* A redirect is not an answer: the receiver must answer itself. */
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_answer);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ans);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, n);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    if (n->ca != NULL)
        curl_easy_setopt(curl, CURLOPT_CAINFO, n->ca);
    CURLcode cc = curl_easy_perform(curl);
    long status = 0;
    if (cc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    a->http_status = (int)status;
    printable(a->answer, sizeof a->answer, ans.data, ans.len);
    /* §7: HTTP 200 and the body exactly "0"; nothing else counts. */
    a->acknowledged = cc == CURLE_OK && status == 200 && ans.total == 1 && ans.data[0] == '0';
    if (cc != CURLE_OK)
        (void)snprintf(a->error, sizeof a->error, "%s", curl_easy_strerror(cc));
    else if (status != 200)
        (void)snprintf(a->error, sizeof a->error, "HTTP status %ld", status);
    else if (!a->acknowledged)
        (void)snprintf(a->error, sizeof a->error, "answer is not exactly 0");
cleanup:
    curl_slist_free_all(hdr);
    curl_easy_cleanup(curl);
}

/* Sends everything due now, oldest first. Returns the milliseconds until
 * the next scheduled send, or -1 when nothing is scheduled. */
static int64_t deliver_due(sbx_notifier *n)
{
    while (!atomic_load(&n->stopping)) {
        int64_t now_ms = real_now_ms();
        sbx_notification note;
        sbx_store_lock(n->store);
        int rc = sbx_store_notification_next_due(n->store, now_ms, &note);
        sbx_store_unlock(n->store);
        if (rc < 0)
            return IDLE_WAKE_MS;  /* logged by the store; try again later */
        if (rc == 0)
            break;

        bool scheduled = strcmp(note.state, STATE_PENDING) == 0 && note.next_attempt_ms <= now_ms;
        sbx_notify_attempt a;
        memset(&a, 0, sizeof a);
        a.notification_id = note.id;
        a.duplicate = !scheduled;
        a.at_ms = now_ms;
        /* No lock while sending: the receiver may take seconds, and it may
         * well call the gateway (SearchTradeMulti) before answering. */
        send_once(n, note.body, &a);
        if (atomic_load(&n->stopping) && !a.acknowledged && a.http_status == 0) {
            /* Aborted by the shutdown: not an attempt the receiver saw. */
            sbx_notification_clear(&note);
            break;
        }

        const char *state = note.state;
        int64_t next = note.next_attempt_ms;
        if (a.acknowledged && strcmp(note.state, STATE_PENDING) == 0) {
            state = STATE_ACKED;
        } else if (scheduled) {
            if ((unsigned)note.attempts + 1 >= 1 + n->retries)
                state = STATE_FAILED;
            else
                next = now_ms + (int64_t)n->interval_s * 1000;
        }
        sbx_store_lock(n->store);
        if (sbx_store_begin(n->store) != 0 ||
            sbx_store_notification_record(n->store, &a, state, next) != 0 ||
            sbx_store_commit(n->store) != 0) {
            sbx_store_rollback(n->store);
            sbx_log_error("notification %lld: cannot record the attempt", (long long)note.id);
        }
        sbx_store_unlock(n->store);
        sbx_log_request("notify #%lld order=%s status=%s -> HTTP %d %s%s%s%s",
                        (long long)note.id, note.order_id[0] != '\0' ? note.order_id : "-",
                        note.status, a.http_status,
                        a.acknowledged ? "acknowledged" : "not acknowledged",
                        a.duplicate ? " (duplicate)" : "", a.error[0] != '\0' ? ": " : "",
                        a.error);
        sbx_notification_clear(&note);
    }
    sbx_store_lock(n->store);
    int64_t next = sbx_store_notification_next_time(n->store);
    sbx_store_unlock(n->store);
    if (next < 0)
        return -1;
    int64_t wait = next - real_now_ms();
    return wait > 0 ? wait : 0;
}

static void *sender_main(void *arg)
{
    sbx_notifier *n = arg;
    for (;;) {
        (void)pthread_mutex_lock(&n->lock);
        n->kicked = false;
        (void)pthread_mutex_unlock(&n->lock);
        if (atomic_load(&n->stopping))
            break;
        int64_t wait = deliver_due(n);
        if (wait < 0 || wait > IDLE_WAKE_MS)
            wait = IDLE_WAKE_MS;
        struct timespec due;
        (void)clock_gettime(CLOCK_MONOTONIC, &due);
        due.tv_sec += (time_t)(wait / 1000);
        due.tv_nsec += (long)(wait % 1000) * 1000000L;
        if (due.tv_nsec >= 1000000000L) {
            due.tv_sec++;
            due.tv_nsec -= 1000000000L;
        }
        (void)pthread_mutex_lock(&n->lock);
        while (!n->kicked && !atomic_load(&n->stopping)) {
            if (pthread_cond_timedwait(&n->wake, &n->lock, &due) == ETIMEDOUT)
                break;
        }
        (void)pthread_mutex_unlock(&n->lock);
    }
    return NULL;
}

int sbx_notifier_start(sbx_store *store, const sbx_config *cfg, sbx_notifier **out)
{
    *out = NULL;
    sbx_notifier *n = calloc(1, sizeof *n);
    if (n == NULL)
        return -1;
    n->store = store;
    n->url = cfg->notify_url;
    n->ca = cfg->notify_ca;
    n->interval_s = cfg->notify_interval_s;
    n->retries = cfg->notify_retries;
    n->timeout_ms = cfg->notify_timeout_ms;
    atomic_init(&n->stopping, false);
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        goto free_notifier;
    if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
        pthread_mutex_init(&n->lock, NULL) != 0)
        goto destroy_attr;
    if (pthread_cond_init(&n->wake, &attr) != 0)
        goto destroy_mutex;
    if (pthread_create(&n->thread, NULL, sender_main, n) != 0)
        goto destroy_cond;
    pthread_condattr_destroy(&attr);
    *out = n;
    return 0;
destroy_cond:
    pthread_cond_destroy(&n->wake);
destroy_mutex:
    pthread_mutex_destroy(&n->lock);
destroy_attr:
    pthread_condattr_destroy(&attr);
free_notifier:
    free(n);
    sbx_log_error("cannot start the notification sender");
    return -1;
}

void sbx_notifier_kick(sbx_notifier *n)
{
    if (n == NULL)
        return;
    (void)pthread_mutex_lock(&n->lock);
    n->kicked = true;
    (void)pthread_cond_signal(&n->wake);
    (void)pthread_mutex_unlock(&n->lock);
}

void sbx_notifier_stop(sbx_notifier *n)
{
    if (n == NULL)
        return;
    atomic_store(&n->stopping, true);
    sbx_notifier_kick(n);
    (void)pthread_join(n->thread, NULL);
    pthread_cond_destroy(&n->wake);
    pthread_mutex_destroy(&n->lock);
    free(n);
}
