/*
** filter_c.c - examples/filter.tal's packet filter written in C, the
** baseline it is measured against (compiled with gcc -O2 on its own, so
** the harness cannot specialise it).
**
** Accept an Ethernet II frame carrying IPv4 (EtherType 0x0800), TCP
** (protocol 6), a TTL above 64, not a fragment other than the first, an IPv4
** header of at least 20 bytes, and destination port 80 or 443, all within
** the captured bytes; drop everything else.  filter_count_c walks the same
** framing as filter_count: each packet preceded by its length in 2 bytes,
** little-endian, stopping at a length that runs past the end.
*/
#include <stddef.h>
#include <stdint.h>

#include "filter_c.h"

static inline int filter_one(const uint8_t *p, size_t len)
{
	if (len < 14 + 20 + 4) return 0;
	if ((p[12] << 8 | p[13]) != 0x0800) return 0;         /* EtherType IPv4 */
	if (p[23] != 6) return 0;                              /* TCP */
	if (p[22] <= 64) return 0;                             /* TTL */
	if (((p[20] & 0x1f) << 8 | p[21]) != 0) return 0;      /* fragment offset */
	size_t h = (size_t)(p[14] & 0x0f) * 4;                 /* IPv4 header length */
	if (h < 20 || 14 + h + 4 > len) return 0;
	unsigned port = (unsigned)p[14 + h + 2] << 8 | p[14 + h + 3];
	return port == 80 || port == 443;
}

int filter_c(const uint8_t *p, size_t len) { return filter_one(p, len); }

long filter_count_c(const uint8_t *buf, size_t n)
{
	long accepted = 0;
	size_t p = 0;
	while (n - p >= 2) {
		size_t len = (size_t)buf[p] | (size_t)buf[p + 1] << 8;
		p += 2;
		if (len > n - p) break;
		accepted += filter_one(buf + p, len);
		p += len;
	}
	return accepted;
}
