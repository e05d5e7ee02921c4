#include "gw_yaml.h"

#include <stdio.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 16

typedef struct builder {
    const gw_mem *mem;
    gw_ynode *stack[MAX_DEPTH];
    int depth;
    gw_ynode *root;
    char *err;
    size_t errlen;
} builder;

static gw_ynode *node_new(const gw_mem *mem, int type, unsigned line)
{
    gw_ynode *n = gw_calloc(mem, 1, sizeof(*n));

    if (n) {
        n->type = type;
        n->line = line;
    }
    return n;
}

void gw_yaml_free(const gw_mem *mem, gw_ynode *node)
{
    size_t i;

    if (!node)
        return;
    for (i = 0; i < node->nitems; i++)
        gw_yaml_free(mem, node->items[i]);
    gw_free(mem, node->items);
    gw_free(mem, node->scalar);
    gw_free(mem, node);
}

static int fail(builder *b, unsigned line, const char *what)
{
    snprintf(b->err, b->errlen, "line %u: %s", line, what);
    return -1;
}

/* Adds child to the open collection on top of the stack (or makes it the root). */
static int attach(builder *b, gw_ynode *child)
{
    gw_ynode *parent;

    if (b->depth == 0) {
        if (b->root) {
            unsigned line = child->line;

            gw_yaml_free(b->mem, child);
            return fail(b, line, "more than one document");
        }
        b->root = child;
        return 0;
    }
    parent = b->stack[b->depth - 1];
    if (parent->type == GW_Y_MAP && parent->nitems % 2 == 0) {
        size_t i;

        if (child->type != GW_Y_SCALAR) {
            unsigned line = child->line;

            gw_yaml_free(b->mem, child);
            return fail(b, line, "a mapping key must be a plain scalar");
        }
        for (i = 0; i < parent->nitems; i += 2) {
            if (!strcmp(parent->items[i]->scalar, child->scalar)) {
                char msg[160];
                unsigned line = child->line;

                snprintf(msg, sizeof(msg), "duplicate key '%.100s'", child->scalar);
                gw_yaml_free(b->mem, child);
                return fail(b, line, msg);
            }
        }
    }
    if (parent->nitems == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 8;
        gw_ynode **items = gw_realloc(b->mem, parent->items, cap * sizeof(*items));

        if (!items) {
            gw_yaml_free(b->mem, child);
            return fail(b, parent->line, "out of memory");
        }
        parent->items = items;
        parent->cap = cap;
    }
    parent->items[parent->nitems++] = child;
    return 0;
}

static int on_event(builder *b, const yaml_event_t *ev)
{
    unsigned line = (unsigned)ev->start_mark.line + 1;
    gw_ynode *n;

    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return fail(b, line, "anchors and aliases are not supported in configuration");
    case YAML_SCALAR_EVENT:
        if (ev->data.scalar.anchor)
            return fail(b, line, "anchors and aliases are not supported in configuration");
        n = node_new(b->mem, GW_Y_SCALAR, line);
        if (!n)
            return fail(b, line, "out of memory");
        n->scalar = gw_strndup(b->mem, (const char *)ev->data.scalar.value, ev->data.scalar.length);
        n->scalar_len = ev->data.scalar.length;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (!n->scalar) {
            gw_yaml_free(b->mem, n);
            return fail(b, line, "out of memory");
        }
        return attach(b, n);
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT:
        if (b->depth == MAX_DEPTH)
            return fail(b, line, "nesting too deep");
        n = node_new(b->mem, ev->type == YAML_MAPPING_START_EVENT ? GW_Y_MAP : GW_Y_SEQ, line);
        if (!n)
            return fail(b, line, "out of memory");
        if (attach(b, n) != 0)
            return -1;
        b->stack[b->depth++] = n;
        return 0;
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        b->depth--;
        return 0;
    default:
        return 0;
    }
}

int gw_yaml_parse(const gw_mem *mem, const char *text, size_t len, gw_ynode **root, char *err,
                  size_t errlen)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    builder b;
    int done = 0, rc = 0;

    memset(&b, 0, sizeof(b));
    b.mem = mem;
    b.err = err;
    b.errlen = errlen;
    *root = NULL;
    if (!yaml_parser_initialize(&parser))
        return fail(&b, 0, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            snprintf(err, errlen, "line %u: %s", (unsigned)parser.problem_mark.line + 1,
                     parser.problem ? parser.problem : "invalid YAML");
            rc = -1;
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        rc = on_event(&b, &ev);
        yaml_event_delete(&ev);
        if (rc != 0)
            break;
    }
    yaml_parser_delete(&parser);
    if (rc == 0 && !b.root)
        b.root = node_new(mem, GW_Y_MAP, 1);
    if (rc == 0 && !b.root)
        rc = fail(&b, 1, "out of memory");
    if (rc == 0 && b.root->type != GW_Y_MAP)
        rc = fail(&b, b.root->line, "the configuration must be a mapping of sections");
    if (rc != 0) {
        gw_yaml_free(mem, b.root);
        return -1;
    }
    *root = b.root;
    return 0;
}

const gw_ynode *gw_yaml_get(const gw_ynode *map, const char *key)
{
    size_t i;

    if (!map || map->type != GW_Y_MAP)
        return NULL;
    for (i = 0; i + 1 < map->nitems; i += 2)
        if (!strcmp(map->items[i]->scalar, key))
            return map->items[i + 1];
    return NULL;
}
