/*
** talcheck - verify typed x86-64 machine code.
**
**   for each file: read the ELF object or module -> decode .text -> check
**   every instruction against the embedded types -> report
**   with --sign: append a signature to the module that passed
**
** Exit status: 0 every file verified, 1 some file rejected, 2 usage or I/O.
*/
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "atomicfile.h"
#include "cli.h"
#include "sha256.h"
#include "talsign.h"
#include "tc.h"
#include "version.h"

static const char usage[] =
	"Usage: talcheck [options] file...\n"
	"       talcheck --sign KEY [--cert CERT] -o SIGNED module.tlm\n"
	"Verify the memory and control-flow safety of typed x86-64 objects and modules;\n"
	"sign a module that passed.\n"
	"\n"
	"Options:\n"
	"  --json                     also write each diagnostic as a JSON line on standard output\n"
	"  --sarif FILE               also write every diagnostic into FILE as a SARIF 2.1.0 log\n"
	"  -v                         say what was verified\n"
	"  --stats                    say what each file took: instructions and blocks checked,\n"
	"                             threads, and the time of each phase\n"
	"  -j N                       check with N threads (default 0: one per processor, for\n"
	"                             files with 64 KiB of code or more per thread); same results\n"
	"  --sign KEY                 sign the module (PEM private key) once it is verified\n"
	"  --cert CERT                the key's certificate (PEM; default: the first one in KEY)\n"
	"  -o FILE                    write the signed module to FILE\n"
	"  --profile user|kernel      what to check beyond safety (default user); kernel: every loop\n"
	"                             and recursion counts fuel down, division cannot fault\n"
	"  --interface FILE           accept only modules linked against this host interface\n"
	"                             (its canonical bytes: tallink --emit-interface)\n"
	"  --interface-digest HEX     the same, by the interface's SHA-256 digest\n"
	"                             (tallink --interface-digest)\n"
	"  -fdiagnostics-color[=WHEN] colour diagnostics: auto (the default), always, never\n"
	"  --help, --version\n"
	"\n"
	"Exit status: 0 all verified, 1 some file rejected, 2 usage or I/O error,\n"
	"or a file that is not a well-formed TAL object.\n";

enum { O_HELP = 256, O_VERSION, O_JSON, O_SARIF, O_COLOR, O_SIGN, O_CERT, O_DIGEST, O_IFACE, O_PROFILE, O_STATS };

typedef struct Opts {
	int json, verbose, color, profile, stats, jobs;
	const char *key, *cert, *out, *sarif;
	int want_digest;
	uint8_t digest[32];
} Opts;

/*
** Helpers.  A file of WARM_FILE_MIN bytes or more is likely to be checked
** in threads (tc_set_jobs), so before it is read a crew is started (tc.h):
** one member per processor but this one's, running by the time the blocks
** are handed out, instead of threads made then (which, on a virtual
** machine whose other processors sleep, start milliseconds late).  One
** processor gets no crew: a member waiting there would take its turns
** from the checker.
**
** The crew's first job is warming the heap.  The first touch of a page of
** memory costs a page fault, and on the machine bench/check.sh was
** measured on a fault costs about 1.8 us: checking the 400k-instruction
** benchmark took some 20% less when run again in the same process, its
** pages already there.  Checking a file of N bytes in threads takes up to
** WARM_CREW * N bytes of heap (that benchmark, module or object: about 16
** MB for 9.4 MB, its peak resident size less the file's buffer and the
** program's own, measured without warming; warming 1.5 or 1.75 N rather
** than 2 N made no difference that could be measured), and in one thread
** a little more.  With a crew, no more than that is warmed: the helper is a member,
** and while it faults in pages nobody uses it does not check blocks (with
** 3 * N, it joined them some 4 ms late).  Without one (-j 1, or one
** processor) the helper is a thread of its own, on a processor the
** checker does not use when there is one, and warms WARM_ALONE * N: the
** one-thread run takes a little more heap, and with 2 * N its stack check
** at the end took 2 ms longer, its pages faulted in as it went.  So that
** much (up to WARM_MAX) is taken from the system in one block and handed back to
** malloc, which is told to keep it (no trimming, no mmap for blocks under
** 32 MiB, one arena for every thread); the helper faults its pages in
** (MADV_POPULATE_WRITE, which writes nothing) while this thread reads and
** decodes.  The pages are malloc's all along: the helper only makes them
** present, and the checker's results cannot depend on it.  Only the tool
** does this; a program that embeds the checker (talrun) keeps its own
** malloc settings.  glibc and Linux 5.14 or later; elsewhere, or with
** TALCHECK_NO_WARM in the environment (to measure), no warming.
*/
enum { WARM_FILE_MIN = 256 << 10, WARM_CREW = 2, WARM_ALONE = 3, WARM_MAX = 30 << 20 };

typedef struct Warm { uintptr_t lo, hi; } Warm;

/*
** In steps of WARM_STEP bytes: the kernel holds the memory map's lock while
** it populates a range, and a thread that maps memory meanwhile (the
** reader's buffer) waits for it to let go, which it does between steps.
*/
enum { WARM_STEP = 1 << 20 };

static void warm_pages(void *arg)
{
#ifdef MADV_POPULATE_WRITE
	Warm *w = arg;
	for (uintptr_t at = w->lo; at < w->hi; at += WARM_STEP) {   /* a failure only leaves pages to fault later */
		uintptr_t end = w->hi - at > WARM_STEP ? at + WARM_STEP : w->hi;
		madvise((void *)at, end - at, MADV_POPULATE_WRITE);
	}
#else
	(void)arg;
#endif
}

static void *warm_thread(void *arg)
{
	warm_pages(arg);
	return NULL;
}

static void heap_warm(size_t size, size_t factor)
{
#if defined(__GLIBC__) && defined(MADV_POPULATE_WRITE) && defined(M_ARENA_MAX)
	static Warm w;
	static TcJob job = { .fn = warm_pages, .arg = &w };
	if (getenv("TALCHECK_NO_WARM")) return;
	size_t want = size > WARM_MAX / factor ? WARM_MAX : size * factor;
	long page = sysconf(_SC_PAGESIZE);
	if (page <= 0 || !mallopt(M_MMAP_THRESHOLD, 32 << 20) || !mallopt(M_TRIM_THRESHOLD, INT32_MAX) || !mallopt(M_ARENA_MAX, 1)) return;
	char *q = malloc(want);
	if (!q) return;
	w.lo = ((uintptr_t)q + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
	w.hi = ((uintptr_t)q + want) & ~((uintptr_t)page - 1);
	free(q);
	pthread_t th;
	if (w.hi > w.lo && !tc_crew_run(&job) && !pthread_create(&th, NULL, warm_thread, &w)) pthread_detach(th);
#else
	(void)size, (void)factor;
#endif
}

/* Before the first file is read: the crew and the warming (-j N: `jobs`). */
static void helpers(const char *path, int jobs)
{
	struct stat sb;
	if (stat(path, &sb) || sb.st_size < WARM_FILE_MIN) return;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long want = jobs > 0 && jobs < cpus ? jobs : cpus;   /* (-j 0: one thread per processor) */
	if (want > 1) tc_crew_start((unsigned)want - 1);
	heap_warm((size_t)sb.st_size, want > 1 ? WARM_CREW : WARM_ALONE);
}

static int bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "talcheck: error: %s%s%s\nTry 'talcheck --help' for more information.\n", msg, arg ? " " : "", arg ? arg : "");
	return 2;
}

/* 64 hex digits into 32 bytes; 0 or -1. */
static int parse_digest(const char *hex, uint8_t out[32])
{
	if (strlen(hex) != 64) return -1;
	for (int i = 0; i < 32; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* Why a verified file is refused (1) or cannot be signed (2): into why, and said on standard error after `who: error: `. */
static int refuse(int r, const char *who, char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: error: %s\n", who, why);
	return r;
}

/*
** After a file verified: its module's interface must be the one required,
** and with --sign the module gets its signature.  The attestation names
** this verifier and the digest of the interface the module was checked
** against: the one embedded in it.  0, 1 (refused) or 2 (I/O, keys);
** why says why it was refused.
*/
static int after_verified(const Opts *o, const char *path, const uint8_t *p, size_t n, char *why, size_t cap)
{
	if (!o->want_digest && !o->key) return 0;
	uint8_t dig[32], *out = NULL;
	char err[512];
	TalModule m;
	int r = 0;
	if (talmod_parse(&m, p, n, err, sizeof err) != 0)
		return refuse(1, path, why, cap, "only a module (tallink's output, not signed yet) can be %s: %s",
		              o->key ? "signed" : "checked against an interface digest", err);
	sha256(p + m.iface_off, m.iface_size, dig);
	if (o->want_digest && memcmp(dig, o->digest, 32) != 0) {
		r = refuse(1, path, why, cap, "the module was linked against another host interface than the one required");
	} else if (o->key) {
		size_t outlen = 0;
		/* the attestation names the verifier and the profile it checked */
		const char *who = o->profile == TC_PROFILE_KERNEL ? "talcheck " TAL_VERSION " kernel" : "talcheck " TAL_VERSION;
		if (talsig_sign(p, n, dig, who, o->key, o->cert, &out, &outlen, err, sizeof err) != 0)
			r = refuse(2, "talcheck", why, cap, "cannot sign '%s': %s", path, err);
		else if (atomic_write(o->out, out, outlen) != 0)
			r = refuse(2, "talcheck", why, cap, "cannot write '%s': %s", o->out, strerror(errno));
	}
	free(out);
	return r;
}

/* Each finding as a JSON line (--json) and into the SARIF log (--sarif). */
typedef struct Found { const Opts *o; TcSarif *sarif; const char *path; } Found;

static void found(void *arg, const TcFinding *x)
{
	const Found *f = arg;
	if (f->o->json) tc_json_line(stdout, x);
	if (f->sarif) tc_sarif_result(f->sarif, f->path, x);
}

/* --stats: two lines on standard error, once the file is checked (not for one that could not be). */
static void print_stats(const char *path, const TcStats *s)
{
	if (!s->runs) return;
	fprintf(stderr, "%s: stats: %llu instructions, %llu blocks, %llu bytes of code, %u thread%s%s\n", path,
	        (unsigned long long)s->insns, (unsigned long long)s->blocks, (unsigned long long)s->code,
	        s->threads, s->threads == 1 ? "" : "s", s->runs > 1 ? "; checked twice, to report an error" : "");
	fprintf(stderr, "%s: stats: %.2f ms (%.2f M instructions/s): reading %.2f, type sections %.2f, "
	        "before the blocks %.2f, blocks %.2f, after the blocks %.2f\n", path, s->total,
	        s->total > 0 ? (double)s->insns / s->total / 1e3 : 0.0, s->read, s->load, s->before, s->blocks_ms, s->after);
}

/* What a diagnostic said, as plain text: colours and "talcheck: [fatal] error: " taken out, its first line. */
static const char *plain(char *s)
{
	char *w = s;
	for (const char *r = s; *r;) {
		if (*r == '\033' && r[1] == '[') {   /* ESC [ ... m */
			r += 2;
			while (*r && *r != 'm') r++;
			if (*r) r++;
		} else *w++ = *r++;
	}
	*w = 0;
	static const char *const tags[] = { "talcheck: error: ", "talcheck: fatal error: " };
	for (int i = 0; i < 2; i++)
		if (strncmp(s, tags[i], strlen(tags[i])) == 0) memmove(s, s + strlen(tags[i]), strlen(s + strlen(tags[i])) + 1);
	char *nl = strchr(s, '\n');
	if (nl) *nl = 0;
	return s[0] ? s : "the file could not be checked";
}

int main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "help", no_argument, NULL, O_HELP }, { "version", no_argument, NULL, O_VERSION },
		{ "json", no_argument, NULL, O_JSON }, { "stats", no_argument, NULL, O_STATS },
		{ "sarif", required_argument, NULL, O_SARIF },
		{ "fdiagnostics-color", optional_argument, NULL, O_COLOR },
		{ "sign", required_argument, NULL, O_SIGN }, { "cert", required_argument, NULL, O_CERT },
		{ "interface-digest", required_argument, NULL, O_DIGEST },
		{ "interface", required_argument, NULL, O_IFACE }, { "profile", required_argument, NULL, O_PROFILE },
		{ NULL, 0, NULL, 0 },
	};
	Opts o = { 0 };
	int c;
	tc_set_jobs(0);
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, ":vo:j:", longs, NULL)) != -1) {
		switch (c) {
		case 'v': o.verbose = 1; break;
		case 'o': o.out = optarg; break;
		case 'j': {
			char *end;
			errno = 0;
			long j = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || j < 0 || j > 64) return bad_usage("bad -j (0 to 64):", optarg);
			tc_set_jobs(o.jobs = (int)j);
			break;
		}
		case O_JSON: o.json = 1; break;
		case O_STATS: o.stats = 1; break;
		case O_SARIF: o.sarif = optarg; break;
		case O_SIGN: o.key = optarg; break;
		case O_CERT: o.cert = optarg; break;
		case O_DIGEST:
			if (parse_digest(optarg, o.digest) != 0) return bad_usage("bad --interface-digest (64 hex digits):", optarg);
			o.want_digest = 1;
			break;
		case O_PROFILE:
			if (strcmp(optarg, "user") == 0) o.profile = TC_PROFILE_USER;
			else if (strcmp(optarg, "kernel") == 0) o.profile = TC_PROFILE_KERNEL;
			else return bad_usage("bad --profile (user or kernel):", optarg);
			break;
		case O_IFACE: {
			size_t n = 0;
			uint8_t *p;
			char err[512];
			if (tc_read(optarg, &p, &n, err, sizeof err) != 0) { fprintf(stderr, "talcheck: error: %s\n", err); return 2; }
			sha256(p, n, o.digest);
			tc_unread(p, n);
			o.want_digest = 1;
			break;
		}
		case O_COLOR:
			if (cli_color(optarg, &o.color) != 0) return bad_usage("bad -fdiagnostics-color value", optarg);
			break;
		case O_HELP: fputs(usage, stdout); return 0;
		case O_VERSION: printf("talcheck (tal) %s\ntype section format %d\n", TAL_VERSION, TY_FORMAT_VERSION); return 0;
		case ':': return bad_usage("option needs an argument:", argv[optind - 1]);
		default: return bad_usage("unknown option", argv[optind - 1]);
		}
	}
	if (optind == argc) return bad_usage("no input file", NULL);
	if (o.key && (!o.out || optind + 1 != argc)) return bad_usage("--sign signs one module into the file named by -o", NULL);
	if (!o.key && (o.out || o.cert)) return bad_usage("-o and --cert go with --sign", NULL);
	TcSarif sarif;
	if (o.sarif) tc_sarif_init(&sarif);
	int status = 0;
	helpers(argv[optind], o.jobs);
	for (int i = optind; i < argc; i++) {
		Diag d;
		diag_init(&d, "talcheck", o.color);
		d.max_errors = 0;
		Found f = { &o, o.sarif ? &sarif : NULL, argv[i] };
		TcSink sink = { found, &f };
		char *said = NULL;   /* with --sarif: what the diagnostics said, for a file not checked */
		size_t nsaid = 0;
		FILE *keep = d.out;
		if (o.sarif && !(d.out = open_memstream(&said, &nsaid))) d.out = keep;
		uint8_t *p = NULL;   /* the bytes checked are the bytes signed */
		size_t len = 0;
		TcStats st;
		int whole = o.key || o.want_digest;   /* the bytes are wanted after the check (after_verified) */
		int n = tc_check_object(argv[i], &d, o.json || o.sarif ? &sink : NULL, o.profile, whole ? &p : NULL, &len, o.stats ? &st : NULL);
		if (d.out != keep) {
			fclose(d.out);
			d.out = keep;
			fputs(said, keep);
		}
		diag_free(&d);
		if (o.stats) print_stats(argv[i], &st);
		char why[1024] = "";
		if (n == 0) {
			int r = after_verified(&o, argv[i], p, len, why, sizeof why);
			n = r == 0 ? 0 : r == 1 ? -2 : -1;
		}
		tc_unread(p, len);
		char none[] = "";
		if (o.sarif && n < 0) tc_sarif_notification(&sarif, argv[i], why[0] ? why : plain(said ? said : none));
		free(said);
		if (n == -1) status = 2;
		else if (n == -2) status = status ? status : 1;
		else if (n > 0 && status < 1) status = 1;
		if (n == 0 && o.verbose) fprintf(stderr, "%s: verified%s\n", argv[i], o.key ? " and signed" : "");
		else if (o.key && n != 0) fprintf(stderr, "%s: not signed\n", argv[i]);
	}
	if (o.sarif) {
		if (tc_sarif_write(&sarif, o.sarif, TAL_VERSION, status != 2) != 0) {
			fprintf(stderr, "talcheck: error: cannot write '%s': %s\n", o.sarif, strerror(errno));
			status = 2;
		}
		tc_sarif_free(&sarif);
	}
	return status;
}
