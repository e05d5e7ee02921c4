/* gw_sjis.h - conversion between UTF-8 and Windows-31J (CP932), the
 * character set of the idPass protocol, through glibc's iconv.
 *
 * Thread-safe: every call opens its own conversion state. */
#ifndef GW_SJIS_H
#define GW_SJIS_H

#include <stddef.h>

#include "gw_buf.h"

#define GW_SJIS_OK 0
#define GW_SJIS_UNREPRESENTABLE (-1) /* a character has no Windows-31J form */
#define GW_SJIS_INVALID (-2)         /* the input is not valid in its own charset */
#define GW_SJIS_NOMEM (-3)
#define GW_SJIS_NO_ICONV (-4) /* iconv lacks the conversion */

/** Appends the Windows-31J form of UTF-8 text to out. On
 *  GW_SJIS_UNREPRESENTABLE or GW_SJIS_INVALID, *bad_offset (if not NULL)
 *  receives the byte offset of the offending character in the input. */
int gw_sjis_from_utf8(const char *utf8, size_t len, gw_buf *out, size_t *bad_offset);

/** Appends the UTF-8 form of Windows-31J bytes to out. */
int gw_sjis_to_utf8(const char *sjis, size_t len, gw_buf *out, size_t *bad_offset);

/** Length in bytes of the Windows-31J form of UTF-8 text, or a negative
 *  GW_SJIS_* code. Used to check the gateway's byte limits before sending. */
long gw_sjis_length(const char *utf8, size_t len, size_t *bad_offset);

/** Whether len bytes are valid UTF-8 (no overlongs, no surrogates). */
int gw_utf8_valid(const char *s, size_t len);

/** The Unicode code point at s (valid UTF-8 assumed), for messages. */
unsigned long gw_utf8_codepoint(const char *s, size_t len);

#endif
