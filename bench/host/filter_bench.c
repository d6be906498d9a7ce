/*
** filter_bench.c - the packet filter three ways on the same packets:
** verified code (examples/filter.tal through libtalrt), the same filter in
** C (filter_c.c, gcc -O2), and libpcap's classic BPF interpreter running
**
**   ip and tcp and ip[8] > 64 and (tcp dst port 80 or tcp dst port 443)
**
**   filter_bench CERT filter.signed.tlm PACKETS REPS SEED
**
** The packets are generated in memory from SEED (bench/rng.h), in the
** framing filter_count reads: each packet after its length in 2 bytes,
** little-endian.  The mix: IPv4 TCP to ports 80, 443, 22, 8080 or any,
** with TTLs around 64 (and some far from it), IPv4 options, fragments;
** IPv4 UDP and ICMP; IPv6 TCP; ARP; VLAN-tagged IPv4; and IPv4 TCP packets
** that would be accepted but are truncated at random, below and above the
** last byte the filter needs.  Captured lengths are short (headers and up to
** 31 bytes of payload), as with a small snap length.
**
** First every packet is run through the C filter and bpf_filter one by
** one, and the first TAL_SAMPLE of them through filter.tal's `filter`
** (one talrt_call each, which also times a call per packet): any packet
** on which they disagree is printed and ends the program with status 1.
** Then REPS timed rounds, interleaved: filter_count (one talrt_call over
** the whole buffer), filter_count_c, and a C loop calling bpf_filter for
** each packet; each round's count must be the count found before.
** Printed: the medians, in nanoseconds per packet (tal_ns, c_ns, bpf_ns),
** and the per-packet talrt_call time (call_ns).
*/
#include "common.h"   /* first: it defines _GNU_SOURCE */

#include <pcap/pcap.h>

#include "../rng.h"
#include "filter_c.h"

enum { MAXPKT = 256, TAL_SAMPLE = 20000 };

static const char expression[] = "ip and tcp and ip[8] > 64 and (tcp dst port 80 or tcp dst port 443)";

/* ---- the packets ---- */

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static void fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rnd();
}

/* Mostly around 64, some far from it. */
static unsigned pick_ttl(void)
{
	static const unsigned far[] = { 1, 32, 128, 255 };
	return pick(10) < 7 ? 60 + (unsigned)pick(9) : far[pick(4)];
}

static unsigned pick_port(void)
{
	int r = pick(10);
	return r < 3 ? 80 : r < 6 ? 443 : r < 8 ? 22 : r == 8 ? 8080 : rnd() & 0xffff;
}

/* Flags and fragment offset: mostly 0 or DF; some first fragments (MF),
   some later ones (offset != 0). */
static unsigned pick_frag(void)
{
	int r = pick(20);
	if (r == 0) return (pick(2) ? 0x2000u : 0) | (1 + (unsigned)pick(0x1fff));
	if (r == 1) return 0x2000;
	return r < 10 ? 0x4000 : 0;
}

static size_t ether(uint8_t *p, unsigned type)
{
	fill(p, 12);                        /* the two MAC addresses */
	put16(p + 12, type);
	return 14;
}

/* An IPv4 header of ihl words at p, then an L4 header with dport; the length. */
static size_t ipv4(uint8_t *p, unsigned ihl, unsigned proto, unsigned ttl, unsigned frag, unsigned dport, size_t payload)
{
	size_t hl = ihl * 4, l4 = proto == 6 ? 20 : 8;
	p[0] = (uint8_t)(0x40 | ihl);
	p[1] = 0;
	put16(p + 2, (unsigned)(hl + l4 + payload));
	put16(p + 4, rnd() & 0xffff);      /* identification */
	put16(p + 6, frag);
	p[8] = (uint8_t)ttl;
	p[9] = (uint8_t)proto;
	fill(p + 10, hl - 10);              /* checksum, addresses, options */
	uint8_t *t = p + hl;
	put16(t, 1024 + (unsigned)pick(60000));
	put16(t + 2, dport);
	fill(t + 4, l4 - 4);
	fill(t + l4, payload);
	return hl + l4 + payload;
}

static unsigned pick_ihl(void) { return pick(8) == 0 ? 6 + (unsigned)pick(10) : 5; }

/* One packet at p (at most MAXPKT bytes); its captured length. */
static size_t packet(uint8_t *p)
{
	int kind = pick(100);
	size_t payload = (size_t)pick(32), n;
	if (kind < 50)                              /* IPv4 TCP */
		return ether(p, 0x0800) + ipv4(p + 14, pick_ihl(), 6, pick_ttl(), pick_frag(), pick_port(), payload);
	if (kind < 60)                              /* IPv4 UDP, ICMP */
		return ether(p, 0x0800) + ipv4(p + 14, pick_ihl(), pick(10) < 7 ? 17 : 1, pick_ttl(), pick_frag(), pick_port(), payload);
	if (kind < 75) {                            /* IPv6 TCP */
		n = ether(p, 0x86dd);
		uint8_t *ip = p + n;
		fill(ip, 40);
		ip[0] = 0x60;
		put16(ip + 4, (unsigned)(20 + payload));
		ip[6] = 6;
		ip[7] = (uint8_t)pick_ttl();
		uint8_t *t = ip + 40;
		fill(t, 20 + payload);
		put16(t + 2, pick_port());
		return n + 40 + 20 + payload;
	}
	if (kind < 80) {                            /* ARP */
		n = ether(p, 0x0806);
		fill(p + n, 28);
		return n + 28;
	}
	if (kind < 83) {                            /* VLAN-tagged IPv4 TCP to port 80 */
		n = ether(p, 0x8100);
		put16(p + n, rnd() & 0x0fff);
		put16(p + n + 2, 0x0800);
		return n + 4 + ipv4(p + n + 4, 5, 6, 65 + (unsigned)pick(64), 0, 80, payload);
	}
	/* IPv4 TCP to 80 or 443 that passes every test, cut short at random
	   up to 6 bytes past the last byte the filter reads */
	unsigned ihl = pick_ihl();
	n = ether(p, 0x0800) + ipv4(p + 14, ihl, 6, 65 + (unsigned)pick(64), 0, pick(2) ? 80 : 443, payload);
	size_t need = 14 + ihl * 4 + 4, cut = (size_t)pick((int)need + 7);
	return cut < n ? cut : n;
}

/* The framed buffer of count packets; its length in *len. */
static uint8_t *generate(long count, size_t *len)
{
	size_t cap = (size_t)count * (2 + MAXPKT), n = 0;
	uint8_t *buf = malloc(cap);
	if (!buf) die(2, "out of memory for %ld packets", count);
	for (long i = 0; i < count; i++) {
		size_t l = packet(buf + n + 2);
		if (l > MAXPKT) die(2, "generator bug: a packet of %zu bytes", l);
		buf[n] = (uint8_t)l;
		buf[n + 1] = (uint8_t)(l >> 8);
		n += 2 + l;
	}
	*len = n;
	return buf;
}

/* ---- BPF ---- */

static long bpf_count(const struct bpf_insn *insns, const uint8_t *buf, size_t n)
{
	long accepted = 0;
	size_t p = 0;
	while (n - p >= 2) {
		size_t len = (size_t)buf[p] | (size_t)buf[p + 1] << 8;
		p += 2;
		if (len > n - p) break;
		accepted += bpf_filter(insns, buf + p, (u_int)len, (u_int)len) != 0;
		p += len;
	}
	return accepted;
}

static void dump(const char *why, long i, const uint8_t *p, size_t len)
{
	fprintf(stderr, "filter_bench: packet %ld (%zu bytes): %s\n ", i, len, why);
	for (size_t k = 0; k < len && k < 64; k++) fprintf(stderr, " %02x", p[k]);
	fprintf(stderr, "%s\n", len > 64 ? " ..." : "");
}

int main(int argc, char **argv)
{
	prog_name = "filter_bench";
	if (argc != 6) die(2, "usage: filter_bench CERT filter.signed.tlm PACKETS REPS SEED");
	long count = arg_long(argv[3], "PACKETS");
	int reps = (int)arg_long(argv[4], "REPS");
	rng_state = (uint64_t)arg_long(argv[5], "SEED") * 0x9e3779b97f4a7c15ULL | 1;

	size_t n;
	uint8_t *buf = generate(count, &n);

	pcap_t *pc = pcap_open_dead(DLT_EN10MB, 65535);
	struct bpf_program prog;
	if (!pc) die(2, "pcap_open_dead failed");
	if (pcap_compile(pc, &prog, expression, 1, PCAP_NETMASK_UNKNOWN) != 0) die(2, "pcap_compile: %s", pcap_geterr(pc));

	TalRuntime *rt = tal_runtime(argv[1]);
	TalMod *m;
	TalInstance *in = tal_open(rt, argv[2], &m);
	int e_one = tal_export(m, "filter"), e_count = tal_export(m, "filter_count");

	/* 1. Packet by packet: C and BPF on all, TAL on a sample. */
	long accepted = 0, bad = 0, sample = 0;
	double t_calls = 0;
	size_t p = 0;
	for (long i = 0; i < count; i++) {
		size_t len = (size_t)buf[p] | (size_t)buf[p + 1] << 8;
		const uint8_t *pkt = buf + p + 2;
		int c = filter_c(pkt, len), b = bpf_filter(prog.bf_insns, pkt, (u_int)len, (u_int)len) != 0;
		if (c != b && bad++ < 10) dump(c ? "C accepts, BPF drops" : "BPF accepts, C drops", i, pkt, len);
		if (i < TAL_SAMPLE) {
			TalValue v = { .kind = TALV_BYTES, .p = (void *)pkt, .n = len };
			double t0 = now_ns();
			int64_t t = tal_call(in, e_one, &v, 1);
			t_calls += now_ns() - t0;
			sample++;
			if (t != c && bad++ < 10) dump(t ? "TAL accepts, C drops" : "C accepts, TAL drops", i, pkt, len);
		}
		accepted += c;
		p += 2 + len;
	}
	if (bad) die(1, "the filters disagree on %ld packets", bad);

	/* 2. The timed rounds. */
	double *tt = calloc((size_t)reps, sizeof *tt), *tc = calloc((size_t)reps, sizeof *tc), *tb = calloc((size_t)reps, sizeof *tb);
	if (!tt || !tc || !tb) die(2, "out of memory");
	TalValue all = { .kind = TALV_BYTES, .p = buf, .n = n };
	for (int r = 0; r < reps; r++) {
		double t0 = now_ns();
		long a_tal = (long)tal_call(in, e_count, &all, 1);
		double t1 = now_ns();
		long a_c = filter_count_c(buf, n);
		double t2 = now_ns();
		long a_bpf = bpf_count(prog.bf_insns, buf, n);
		double t3 = now_ns();
		if (a_tal != accepted || a_c != accepted || a_bpf != accepted)
			die(1, "accepted counts disagree: filter_count %ld, filter_count_c %ld, bpf_filter %ld, packet by packet %ld",
			    a_tal, a_c, a_bpf, accepted);
		tt[r] = (t1 - t0) / (double)count;
		tc[r] = (t2 - t1) / (double)count;
		tb[r] = (t3 - t2) / (double)count;
	}
	printf("packets %ld\nbytes %zu\naccepted %ld\nsample %ld\nreps %d\n", count, n, accepted, sample, reps);
	printf("tal_ns %.4f\nc_ns %.4f\nbpf_ns %.4f\ncall_ns %.1f\n", median(tt, reps), median(tc, reps), median(tb, reps),
	       t_calls / (double)sample);

	pcap_freecode(&prog);
	pcap_close(pc);
	talrt_destroy(in);
	talrt_unload(m);
	talrt_free(rt);
	free(tt), free(tc), free(tb), free(buf);
	return 0;
}
