/* The "paid" configuration section: how gateway literals map to our status
 * words, which error codes are business declines, and the amount limit.
 * Paid's literals are not public, so these are data with documented
 * defaults (docs/protocol.md section 4), not code. */
#include <stdio.h>
#include <string.h>

#include "paid_internal.h"

static const char *const tx_words[] = {
    "entered", "pending_review", "authorized", "declined", "captured",
    "voided",  "refunded",       "expired",    "unknown",  NULL};
static const char *const buyer_words[] = {"screening", "approved", "rejected",
                                          "suspended", "unknown",  NULL};

static const char *const status_words[] = {
    "screening",  "approved", "rejected", "suspended", "entered",  "pending_review",
    "authorized", "declined", "captured", "voided",    "refunded", "expired",
    "unknown",    "ok",       "test",     NULL};

static const char *const default_tx[][2] = {
    {"UNPROCESSED", "entered"}, {"AUTHPROCESS", "pending_review"},
    {"AUTH", "authorized"},     {"SALES", "captured"},
    {"CANCEL", "voided"},       {"RETURN", "refunded"},
    {"PAYFAIL", "declined"},    {"EXPIRED", "expired"},
};

static const char *const default_buyer[][2] = {
    {"EXAMINATION", "screening"},
    {"AVAILABLE", "approved"},
    {"UNAVAILABLE", "rejected"},
    {"SUSPENDED", "suspended"},
};

#define DEFAULT_MAX_AMOUNT 10000000

const char *paid_status_word(const char *word)
{
    const char *const *w;

    for (w = status_words; *w; w++)
        if (!strcmp(*w, word))
            return *w;
    return NULL;
}

const char *paid_map_lookup(const paid_map_entry *map, size_t n, const char *literal)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!strcmp(map[i].literal, literal))
            return map[i].word;
    return NULL;
}

static int map_put(const gw_mem *mem, paid_map_entry **map, size_t *n, const char *literal,
                   const char *word)
{
    paid_map_entry *grown;
    size_t i;

    for (i = 0; i < *n; i++) {
        if (!strcmp((*map)[i].literal, literal)) {
            (*map)[i].word = word;
            return 0;
        }
    }
    grown = gw_realloc(mem, *map, (*n + 1) * sizeof(**map));
    if (!grown)
        return -1;
    *map = grown;
    grown[*n].literal = gw_strdup(mem, literal);
    if (!grown[*n].literal)
        return -1;
    grown[*n].word = word;
    (*n)++;
    return 0;
}

static int word_allowed(const char *word, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (!strcmp(*allowed, word))
            return 1;
    return 0;
}

static int load_map(const gw_cfg_reader *r, const gw_ynode *section, const char *key,
                    const char *const *allowed, paid_map_entry **map, size_t *n)
{
    const gw_ynode *m = NULL;
    char path[64];
    size_t i;

    snprintf(path, sizeof(path), "paid.%s", key);
    if (gw_cfg_map(r, section, "paid", key, &m) != 0)
        return -1;
    if (!m)
        return 0;
    for (i = 0; i + 1 < m->nitems; i += 2) {
        const gw_ynode *k = m->items[i], *v = m->items[i + 1];
        const char *word = v->type == GW_Y_SCALAR ? paid_status_word(v->scalar) : NULL;
        char full[160];

        snprintf(full, sizeof(full), "%s.%s", path, k->scalar);
        if (!k->scalar_len ||
            strspn(k->scalar, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") != k->scalar_len)
            return gw_cfg_fail(r, k, full, "a gateway literal is upper-case letters, digits, _");
        if (!word || !word_allowed(word, allowed)) {
            char list[200];
            size_t used = 0;
            const char *const *a;

            list[0] = '\0';
            for (a = allowed; *a && used < sizeof(list); a++)
                used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
                                         a == allowed ? "" : ", ", *a);
            return gw_cfg_fail(r, v, full, "must be one of %s", list);
        }
        if (map_put(r->mem, map, n, k->scalar, word) != 0)
            return gw_cfg_fail(r, k, full, "out of memory");
    }
    return 0;
}

static int load_declines(const gw_cfg_reader *r, const gw_ynode *section, paid_config *pc)
{
    const gw_ynode *seq = gw_yaml_get(section, "decline_codes");
    size_t i;

    if (seq) {
        if (seq->type != GW_Y_SEQ || !seq->nitems)
            return gw_cfg_fail(r, seq, "paid.decline_codes",
                               "must be a non-empty list of ErrInfo prefixes");
        pc->decline_prefixes = gw_calloc(r->mem, seq->nitems, sizeof(char *));
        if (!pc->decline_prefixes)
            return gw_cfg_fail(r, seq, "paid.decline_codes", "out of memory");
        for (i = 0; i < seq->nitems; i++) {
            const gw_ynode *it = seq->items[i];

            if (it->type != GW_Y_SCALAR || it->scalar_len < 3 || it->scalar_len > 9 ||
                strspn(it->scalar, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != it->scalar_len)
                return gw_cfg_fail(r, it, "paid.decline_codes",
                                   "each entry is an ErrInfo prefix of 3 to 9 letters/digits");
            pc->decline_prefixes[i] = gw_strdup(r->mem, it->scalar);
            if (!pc->decline_prefixes[i])
                return gw_cfg_fail(r, it, "paid.decline_codes", "out of memory");
            pc->ndecline = i + 1;
        }
        return 0;
    }
    pc->decline_prefixes = gw_calloc(r->mem, 1, sizeof(char *));
    if (!pc->decline_prefixes || !(pc->decline_prefixes[0] = gw_strdup(r->mem, "P01")))
        return gw_cfg_fail(r, NULL, "paid.decline_codes", "out of memory");
    pc->ndecline = 1;
    return 0;
}

static int load_settlement(const gw_cfg_reader *r, const gw_ynode *section, paid_settlement *st)
{
    static const char *const keys[] = {"closing_day", "invoice_due_month_offset",
                                       "deposit_month_offset", "deposit_day", NULL};
    const gw_ynode *m = NULL, *closing;
    long due = st->due_month_offset, offset = st->deposit_month_offset, day = st->deposit_day;

    if (gw_cfg_map(r, section, "paid", "settlement", &m) != 0)
        return -1;
    if (!m)
        return 0;
    if (gw_cfg_check_keys(r, m, "paid.settlement", keys) != 0)
        return -1;
    closing = gw_yaml_get(m, "closing_day");
    if (closing) {
        long n = 0;

        if (closing->type == GW_Y_SCALAR && !strcmp(closing->scalar, "end"))
            st->closing_day = 0;
        else if (gw_cfg_int(r, m, "paid.settlement", "closing_day", 1, 28, &n) == 0)
            st->closing_day = (int)n;
        else
            return gw_cfg_fail(r, closing, "paid.settlement.closing_day",
                               "must be 'end' or a day from 1 to 28");
    }
    if (gw_cfg_int(r, m, "paid.settlement", "invoice_due_month_offset", 0, 12, &due) != 0 ||
        gw_cfg_int(r, m, "paid.settlement", "deposit_month_offset", 0, 12, &offset) != 0 ||
        gw_cfg_int(r, m, "paid.settlement", "deposit_day", 1, 28, &day) != 0)
        return -1;
    st->due_month_offset = (int)due;
    st->deposit_month_offset = (int)offset;
    st->deposit_day = (int)day;
    return 0;
}

static int load_notify(const gw_cfg_reader *r, const gw_ynode *section, paid_config *pc)
{
    static const char *const keys[] = {"confirm", NULL};
    const gw_ynode *m = NULL, *confirm;

    if (gw_cfg_map(r, section, "paid", "notify", &m) != 0)
        return -1;
    if (!m)
        return 0;
    if (gw_cfg_check_keys(r, m, "paid.notify", keys) != 0)
        return -1;
    confirm = gw_yaml_get(m, "confirm");
    if (!confirm)
        return 0;
    if (confirm->type == GW_Y_SCALAR && !strcmp(confirm->scalar, "true"))
        pc->notify_confirm = 1;
    else if (confirm->type == GW_Y_SCALAR && !strcmp(confirm->scalar, "false"))
        pc->notify_confirm = 0;
    else
        return gw_cfg_fail(r, confirm, "paid.notify.confirm", "must be true or false");
    return 0;
}

int paid_config_load(const gw_cfg_reader *r, const gw_ynode *section, paid_config *pc)
{
    static const char *const keys[] = {"status_map", "buyer_status_map", "decline_codes",
                                       "max_amount", "settlement",       "notify",
                                       NULL};
    long max_amount = DEFAULT_MAX_AMOUNT;
    size_t i;

    memset(pc, 0, sizeof(*pc));
    pc->settlement.closing_day = 0;
    pc->settlement.due_month_offset = 1;
    pc->settlement.deposit_month_offset = 2;
    pc->settlement.deposit_day = 5;
    pc->notify_confirm = 1;
    for (i = 0; i < sizeof(default_tx) / sizeof(default_tx[0]); i++)
        if (map_put(r->mem, &pc->tx, &pc->ntx, default_tx[i][0],
                    paid_status_word(default_tx[i][1])) != 0)
            goto nomem;
    for (i = 0; i < sizeof(default_buyer) / sizeof(default_buyer[0]); i++)
        if (map_put(r->mem, &pc->buyer, &pc->nbuyer, default_buyer[i][0],
                    paid_status_word(default_buyer[i][1])) != 0)
            goto nomem;
    if (section && section->type != GW_Y_MAP) {
        gw_cfg_fail(r, section, "paid", "must be a mapping");
        goto fail;
    }
    if (section &&
        (gw_cfg_check_keys(r, section, "paid", keys) != 0 ||
         load_map(r, section, "status_map", tx_words, &pc->tx, &pc->ntx) != 0 ||
         load_map(r, section, "buyer_status_map", buyer_words, &pc->buyer, &pc->nbuyer) != 0 ||
         gw_cfg_int(r, section, "paid", "max_amount", 1, 9999999999L, &max_amount) != 0))
        goto fail;
    if (load_declines(r, section, pc) != 0 || load_settlement(r, section, &pc->settlement) != 0 ||
        load_notify(r, section, pc) != 0)
        goto fail;
    pc->max_amount = max_amount;
    return 0;
nomem:
    gw_cfg_fail(r, NULL, "paid", "out of memory");
fail:
    paid_config_release(r->mem, pc);
    return -1;
}

static void free_map(const gw_mem *mem, paid_map_entry *map, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        gw_free(mem, map[i].literal);
    gw_free(mem, map);
}

void paid_config_release(const gw_mem *mem, paid_config *pc)
{
    size_t i;

    if (!pc)
        return;
    free_map(mem, pc->tx, pc->ntx);
    free_map(mem, pc->buyer, pc->nbuyer);
    for (i = 0; pc->decline_prefixes && i < pc->ndecline; i++)
        gw_free(mem, pc->decline_prefixes[i]);
    gw_free(mem, pc->decline_prefixes);
    memset(pc, 0, sizeof(*pc));
}
