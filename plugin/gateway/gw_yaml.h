/* gw_yaml.h - a small YAML document tree (libyaml events), with the line of
 * every node so configuration errors can name it.
 *
 * Only what configuration needs: mappings, sequences and scalars. Anchors,
 * aliases, tags, several documents and duplicate keys are rejected. */
#ifndef GW_YAML_H
#define GW_YAML_H

#include <stddef.h>

#include "gw_mem.h"

#define GW_Y_SCALAR 1
#define GW_Y_MAP 2
#define GW_Y_SEQ 3

typedef struct gw_ynode gw_ynode;
struct gw_ynode {
    int type;
    unsigned line; /* 1-based */
    char *scalar;  /* GW_Y_SCALAR: the text, NUL-terminated */
    size_t scalar_len;
    int plain;        /* scalar was unquoted */
    gw_ynode **items; /* GW_Y_MAP: key, value, key, value...; GW_Y_SEQ: items */
    size_t nitems;
    size_t cap;
};

/** Parses text into *root (a mapping; an empty document gives an empty
 *  mapping). On failure returns -1 and writes "line N: what" into err. */
int gw_yaml_parse(const gw_mem *mem, const char *text, size_t len, gw_ynode **root, char *err,
                  size_t errlen);
/** The value node of key in a mapping, or NULL. */
const gw_ynode *gw_yaml_get(const gw_ynode *map, const char *key);
/** NULL-safe. */
void gw_yaml_free(const gw_mem *mem, gw_ynode *node);

#endif
