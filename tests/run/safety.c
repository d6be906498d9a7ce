/*
** safety.c - what talcheck accepts runs safely: modules with bytes of
** their code changed at random are checked, and those that still verify
** are signed, loaded and run in the host with assorted arguments.  A
** verified module may trap (bounds, null, division, stack, quota) or run
** too long, but it must never fault (TALRT_TRAP_FAULT: a read, write or
** jump the checks did not cover) nor bring the host down.  Either is a
** hole in the verifier: the changed module is saved, with what changed.
**
**   safety [-u] [-n MUTANTS] [-s SEED] KEY CERT WORKDIR module.tlm...
**
** Each module (unsigned, as tallink made it) is run unchanged first, then
** MUTANTS times changed: one time in four, 1 to 3 bytes of its type
** section; one time in four, the condition of a jump, setcc or cmov, or
** an immediate moved by one (aimed_change); else 1 to 3 bytes of its code.  Each run is a child
** process with a time limit.  Exit 0: no hole found; 1: one was (saved in
** WORKDIR); 2: usage or setup error.
**
** A module that verifies but that the host will not load is an error
** too: the two disagree on what a module is.
**
** Out-of-bounds accesses are made to fault: the argument buffers sit
** against inaccessible pages, and so does every block the host allocates
** (TalLimits.guard_blocks), as does the top of the instance's stack.
**
** -u runs code changes talcheck rejects instead (those whose every
** instruction still decodes), in a child confined by seccomp to a few
** system calls (read, write, memory, signals, time, exit), and exits 0
** only if some of them fault: the check of the test itself, that running
** changed code does show faults when nothing stops them.
*/
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "module.h"
#include "talrt.h"
#include "talsign.h"
#include "tc.h"

enum { SETS = 3, LIMIT_SECONDS = 2, EXIT_FAULT = 3 };

static uint64_t rng;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Does talcheck accept these bytes (one thread, the user profile)? */
static int verifies(const uint8_t *p, size_t n)
{
	static FILE *null;
	if (!null && !(null = fopen("/dev/null", "w"))) { perror("/dev/null"); exit(2); }
	Diag d;
	diag_init(&d, "talcheck", COLOR_NEVER);
	d.out = null;
	d.max_errors = 1;
	int r = tc_check_image("mutant.tlm", p, n, &d, NULL, TC_PROFILE_USER, NULL);
	diag_free(&d);
	return r == 0;
}

/*
** n bytes between inaccessible pages: against the one after them, or
** (from_start) right after the one before, so that reading or writing
** past either end faults at once.
*/
static uint8_t *fenced(size_t n, int from_start)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = (n + page - 1) / page * page;
	uint8_t *p = mmap(NULL, len + 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || (len && mprotect(p + page, len, PROT_READ | PROT_WRITE) != 0)) _exit(2);
	return from_start ? p + page : p + page + len - n;
}

/*
** Arguments for export e, set s: integers near the edges, buffers of
** random length and bytes, fenced (against their end in even sets, their
** start in odd ones).
*/
static int make_args(TalMod *m, int e, int s, TalValue *v)
{
	static const int64_t ints[] = { 0, 1, 2, 3, 7, 8, 16, 63, 64, 100, 255, 1000, -1, INT64_MAX };
	TalParam p[6];
	TalError err;
	int np = talrt_export_params(m, e, p, &err), nv = 0;
	for (int i = 0; i < np; i++) {
		TalValue *x = &v[nv];
		switch (p[i].kind) {
		case TALP_INT:
			x->kind = TALV_INT;
			x->i = next() % 4 ? ints[next() % (sizeof ints / sizeof *ints)] : (int64_t)next();
			if (p[i].bits < 64) x->i &= (INT64_C(1) << p[i].bits) - 1;
			nv++;
			break;
		case TALP_BYTES: case TALP_WORDS:
			x->kind = p[i].kind == TALP_BYTES ? TALV_BYTES : TALV_WORDS;
			x->n = next() % (x->kind == TALV_BYTES ? 200 : 24);
			size_t bytes = x->kind == TALV_BYTES ? x->n : 8 * x->n;
			uint8_t *b = fenced(bytes, s & 1);
			for (size_t k = 0; k < bytes; k++) b[k] = next() % 3 ? 'a' + next() % 26 : (uint8_t)next();
			x->p = b;
			nv++;
			break;
		}
	}
	return nv;
}

/*
** Code that was not verified may make these system calls alone: any other
** fails (EPERM), so that a sanitizer's fault report, which makes others,
** still ends in the crash it reports; a call for another architecture
** kills the process (SIGSYS).
*/
static int confine(void)
{
	static const int allowed[] = { SYS_read, SYS_write, SYS_close, SYS_exit, SYS_exit_group, SYS_rt_sigreturn,
	                               SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_sigaltstack, SYS_mmap, SYS_munmap,
	                               SYS_mprotect, SYS_mremap, SYS_madvise, SYS_brk, SYS_futex, SYS_sched_yield,
	                               SYS_nanosleep, SYS_clock_nanosleep, SYS_clock_gettime, SYS_getrandom,
	                               SYS_prlimit64, SYS_getpid, SYS_gettid };
	enum { N = sizeof allowed / sizeof *allowed };
	struct sock_filter f[4 + 2 * N + 1];
	int k = 0;
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (int i = 0; i < N; i++) {
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)allowed[i], 0, 1);
		f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
	struct sock_fprog prog = { .len = (unsigned short)k, .filter = f };
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/*
** In a child: load the signed bytes, call every export SETS times.  The
** exit status: 0 ran (returned or trapped), EXIT_FAULT a fault trap, 2 it
** could not be loaded; killed by SIGALRM: too long.
*/
static void child(const char *cert, const uint8_t *signed_, size_t len, int strict)
{
	TalError err;
	alarm(LIMIT_SECONDS);
	TalRuntime *rt = talrt_new(&err);
	if (!rt || talrt_trust(rt, cert, &err)) _exit(2);
	TalMod *m = talrt_load_mem(rt, signed_, len, &err);
	if (!m) { fprintf(stderr, "safety: load: %s\n", err.msg); _exit(2); }
	int out = open("/dev/null", O_WRONLY);
	TalInstance *in = talrt_instantiate(m, &(TalLimits){ .stack_size = 64 << 10, .memory_quota = 1 << 20, .out_fd = out, .guard_blocks = 1 }, &err);
	if (!in) _exit(2);
	int nargs[64][SETS];
	TalValue args[64][SETS][6];
	int ne = talrt_export_count(m);
	for (int e = 0; e < ne && e < 64; e++)
		for (int s = 0; s < SETS; s++) nargs[e][s] = make_args(m, e, s, args[e][s]);
	if (strict && (dup2(out, 1) < 0 || dup2(out, 2) < 0 || confine() != 0)) _exit(2);
	for (int e = 0; e < ne && e < 64; e++)
		for (int s = 0; s < SETS; s++) {
			TalResult r;
			if (talrt_call(in, e, args[e][s], nargs[e][s], &r, &err) != 0) continue;
			if (r.trap == TALRT_TRAP_FAULT) {
				char msg[200];
				int k = snprintf(msg, sizeof msg, "safety: %s faulted at code offset %#x (%s:%u)\n",
				                 talrt_export_name(m, e), r.offset, r.file ? r.file : "?", r.line);
				if (write(2, msg, (size_t)k) < 0) _exit(EXIT_FAULT);
				_exit(EXIT_FAULT);
			}
		}
	_exit(0);
}

enum { RAN, FAULTED, CRASHED, TOO_LONG, CONFINED, NOT_LOADED };

/*
** Sign the bytes, run them in a child: RAN, FAULTED, CRASHED (a signal, a
** sanitizer), TOO_LONG, CONFINED (a system call for another architecture), NOT_LOADED.
*/
static int run(const char *key, const char *cert, const uint8_t *p, size_t n, int strict)
{
	uint8_t *s;
	size_t sn;
	char err[256];
	if (talsig_sign(p, n, NULL, "safety", key, cert, &s, &sn, err, sizeof err) != 0) {
		fprintf(stderr, "safety: sign: %s\n", err);
		return NOT_LOADED;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) child(cert, s, sn, strict);
	free(s);
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid) { perror("safety: fork"); exit(2); }
	if (WIFSIGNALED(st)) return WTERMSIG(st) == SIGALRM ? TOO_LONG : WTERMSIG(st) == SIGSYS && strict ? CONFINED : CRASHED;
	switch (WEXITSTATUS(st)) {
	case 0: return RAN;
	case EXIT_FAULT: return FAULTED;
	case 2: return NOT_LOADED;
	default: return CRASHED;
	}
}

/*
** A change where bounds are decided, in the code at p (n bytes): the
** condition of a jcc, setcc or cmovcc (to its off-by-one or signed twin,
** or any other), or an immediate moved by one.  Random bytes seldom
** land there, and an off-by-one in the prover only shows when they do.
** 0 when no instruction there has either (what names the change).
*/
/* Where the condition code of the instruction at p[0..len) is (its low nibble), or -1. */
static long cc_at(const uint8_t *p, size_t len)
{
	size_t op = 0;
	while (op < len && (p[op] == 0x66 || (p[op] & 0xf0) == 0x40)) op++;   /* 66, REX */
	if (op < len && (p[op] & 0xf0) == 0x70) return (long)op;
	if (op + 1 < len && p[op] == 0x0f && ((p[op + 1] & 0xf0) == 0x80 || (p[op + 1] & 0xf0) == 0x90 || (p[op + 1] & 0xf0) == 0x40))
		return (long)op + 1;
	return -1;
}

/* How many of the last bytes of in (at p) are its immediate: the fewest that read as its value; 0 if none. */
static int imm_at(const uint8_t *p, const TcInst *in, int64_t *val)
{
	for (int i = 0; i < in->nops; i++) {
		if (in->op[i].kind != TC_IMM) continue;
		for (int k = 1; k <= 8 && k < in->len; k *= 2) {
			uint64_t raw = 0;
			for (int b = k; b-- > 0;) raw = raw << 8 | p[in->len - k + b];
			int64_t v = k < 8 ? (int64_t)(raw << (64 - 8 * k)) >> (64 - 8 * k) : (int64_t)raw;   /* sign-extended */
			if (v == in->op[i].val || (int64_t)raw == in->op[i].val) { *val = v; return k; }
		}
	}
	return 0;
}

static int aimed_change(uint8_t *p, size_t n, char *what, size_t cap)
{
	enum { MAX = 4096 };
	static uint32_t cand[MAX];   /* instruction offsets with a condition or an immediate */
	uint32_t nc = 0;
	TcInst in;
	char err[128];
	int len;
	int64_t v;
	for (size_t o = 0; o < n && (len = tc_decode(p, n, o, &in, err, sizeof err)) > 0; o += (size_t)len)
		if (nc < MAX && (cc_at(p + o, (size_t)len) >= 0 || imm_at(p + o, &in, &v))) cand[nc++] = (uint32_t)o;
	if (!nc) return 0;
	size_t o = cand[next() % nc];
	len = tc_decode(p, n, o, &in, err, sizeof err);
	long cc = cc_at(p + o, (size_t)len);
	if (cc >= 0) {
		/* b<->be, a<->ae; l<->le, g<->ge (the off-by-one twins, twice as likely); negate; a<->g, be<->le; b<->l, ae<->ge */
		static const uint8_t twist[] = { 4, 4, 2, 2, 1, 8, 14 };
		size_t at = o + (size_t)cc;
		uint8_t was = p[at], flip = next() % 4 ? twist[next() % 7] : (uint8_t)(next() % 16);
		p[at] = (uint8_t)((was & 0xf0) | ((was ^ flip) & 0x0f));
		snprintf(what, cap, "code +%#zx: condition %02x->%02x", at, was, p[at]);
		return p[at] != was;
	}
	int k = imm_at(p + o, &in, &v);
	int64_t d = next() % 2 ? 1 : -1;
	uint64_t w = (uint64_t)v + (uint64_t)d;
	size_t at = o + (size_t)len - (size_t)k;
	for (int b = 0; b < k; b++) p[at + (size_t)b] = (uint8_t)(w >> 8 * b);
	snprintf(what, cap, "code +%#zx: immediate %lld->%lld", at, (long long)v, (long long)(int64_t)w);
	return 1;
}

static void save(const char *work, const char *name, int k, const uint8_t *p, size_t n)
{
	char path[4096];
	size_t len = strlen(name);
	if (len > 4 && !strcmp(name + len - 4, ".tlm")) len -= 4;
	snprintf(path, sizeof path, "%s/hole-%.*s-%d.tlm", work, (int)len, name, k);
	FILE *f = fopen(path, "wb");
	if (f && fwrite(p, 1, n, f) == n && fclose(f) == 0) fprintf(stderr, "safety: saved as %s\n", path);
	else perror(path);
}

int main(int argc, char **argv)
{
	int unchecked = 0, mutants = 200, opt;
	uint64_t seed = 1;
	while ((opt = getopt(argc, argv, "un:s:")) != -1) {
		if (opt == 'u') unchecked = 1;
		else if (opt == 'n') mutants = atoi(optarg);
		else if (opt == 's') seed = strtoull(optarg, NULL, 0);
		else return 2;
	}
	if (argc - optind < 4) {
		fprintf(stderr, "usage: safety [-u] [-n MUTANTS] [-s SEED] KEY CERT WORKDIR module.tlm...\n");
		return 2;
	}
	const char *key = argv[optind], *cert = argv[optind + 1], *work = argv[optind + 2];
	rng = seed * 0x9e3779b97f4a7c15u | 1;
	tc_set_jobs(1);
	long count[NOT_LOADED + 1] = { 0 }, tried = 0, picked = 0, holes = 0;
	for (int a = optind + 3; a < argc; a++) {
		size_t n;
		uint8_t *orig;
		TalModule mod;
		char err[256];
		if (tc_read(argv[a], &orig, &n, err, sizeof err) != 0) {
			fprintf(stderr, "safety: %s\n", err);
			return 2;
		}
		if (talmod_parse(&mod, orig, n, err, sizeof err) != 0 || !mod.text_size) {
			fprintf(stderr, "safety: %s: not a module with code\n", argv[a]);
			return 2;
		}
		uint8_t *p = malloc(n);
		const char *name = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
		if (!verifies(orig, n) || run(key, cert, orig, n, 0) != RAN) {
			fprintf(stderr, "safety: %s: the module as it is does not verify and run\n", name);
			return 2;
		}
		for (int k = 0; k < mutants; k++) {
			memcpy(p, orig, n);
			int changes = 1 + (int)(next() % 3), way = (int)(next() % 4);
			char what[200];
			/* the code at random, or at a condition or an immediate, or the types: a section that lies must be caught too */
			int types = !unchecked && mod.types_size && way == 0;
			size_t base = types ? mod.types_off : mod.image_off, size = types ? mod.types_size : mod.text_size;
			size_t at = (size_t)snprintf(what, sizeof what, "%s", types ? "types" : "code");
			if (way == 1 && !unchecked) {
				if (!aimed_change(p + mod.image_off, mod.text_size, what, sizeof what)) continue;
				changes = 0;
			}
			for (int c = 0; c < changes; c++) {
				size_t off = base + next() % size;
				p[off] = next() % 2 ? (uint8_t)next() : p[off] ^ (uint8_t)(1u << next() % 8);
				at += (size_t)snprintf(what + at, sizeof what - at, " +%#zx: %02x->%02x", off - base, orig[off], p[off]);
			}
			if (!memcmp(p, orig, n)) continue;
			tried++;
			if (verifies(p, n) == unchecked) continue;
			picked++;
			if (unchecked) {   /* only code whose every instruction decodes: nothing the decoder forbids */
				TcInst in;
				char e2[128];
				size_t o = 0;
				int len;
				while (o < mod.text_size && (len = tc_decode(p + mod.image_off, mod.text_size, o, &in, e2, sizeof e2)) > 0) o += (size_t)len;
				if (o < mod.text_size) { picked--; continue; }
			}
			int r = run(key, cert, p, n, unchecked);
			count[r]++;
			if (!unchecked && (r == FAULTED || r == CRASHED || r == NOT_LOADED)) {
				holes++;
				fprintf(stderr, "safety: %s, changed in %s: verified, and then %s\n", name, what,
				        r == FAULTED ? "faulted" : r == CRASHED ? "crashed the host" : "the host would not load it");
				save(work, name, k, p, n);
			}
		}
		tc_unread(orig, n);
		free(p);
	}
	printf("safety: %d modules, %ld changed, %ld %s, run: %ld returned or trapped, %ld faulted, %ld crashed, %ld too long, %ld stopped by seccomp, %ld not loaded\n",
	       argc - optind - 3, tried, picked, unchecked ? "rejected (and decoded)" : "verified",
	       count[RAN], count[FAULTED], count[CRASHED], count[TOO_LONG], count[CONFINED], count[NOT_LOADED]);
	if (unchecked) return count[FAULTED] + count[CRASHED] > 0 ? 0 : 1;
	return holes ? 1 : 0;
}
