/*
** talrun - run an export of a signed module in a host process.
**
**   talrun [--cert CERT]... [--verify] [--stack N] [--quota N] module.tlm export [arg...]
**
** Arguments follow the export's type: an integer for an integer, a string
** (or @file) for an array of bytes, a comma-separated list for an array of
** 64-bit integers; the context and array lengths are the host's to pass.
** Prints the result, then any array the export may write.
**
** Exit status: 0 the export returned; 1 it trapped; 2 usage or I/O error;
** 3 --verify rejected the module; 10 and up: the module was refused
** (TALRT_E* in talrt.h: 11 unsigned, 12 tampered, 13 untrusted key,
** 14 other interface, 15 malformed, 16 unknown service, 17 no such export,
** 18 wrong arguments, 19 an export a host cannot call).
*/
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "readfile.h"
#include "talrt.h"
#include "tc.h"
#include "version.h"

static const char usage[] =
	"Usage: talrun [options] module.tlm export [arg...]\n"
	"Load a signed module, check its signature, and call one of its exports.\n"
	"\n"
	"Options:\n"
	"  --cert CERT   trust the certificates in CERT (PEM; repeatable; default: $TAL_CERT)\n"
	"  --verify      also run the verifier on the module before loading it\n"
	"  --stack N     bytes of stack for the call (default 1 MiB)\n"
	"  --quota N     bytes the module may allocate (default 64 MiB)\n"
	"  --help, --version\n"
	"\n"
	"Arguments follow the export's type: an integer; a string or @FILE for bytes;\n"
	"a comma-separated list for 64-bit integers.\n"
	"\n"
	"Exit status: 0 returned, 1 trapped, 2 usage or I/O error, 3 rejected by --verify,\n"
	"10 and up refused (see talrun(1)).\n";

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "talrun: error: %s%s%s\nTry 'talrun --help' for more information.\n", msg, arg ? " " : "", arg ? arg : "");
	return 2;
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v == 0) return -1;
	*out = (size_t)v;
	return 0;
}

/* The most an @FILE holds: a regular file of at most this many bytes. */
#define MAX_ARG_FILE ((size_t)1 << 30)

/* One argument from the command line, as parameter p wants it: 0, -1 (not one), -2 (an @FILE unread). */
static int parse_arg(const TalParam *p, const char *s, TalValue *v)
{
	char *end;
	memset(v, 0, sizeof *v);
	if (p->kind == TALP_INT) {
		errno = 0;
		v->kind = TALV_INT;
		v->i = strtoll(s, &end, 0);
		if (errno || end == s || *end) { fprintf(stderr, "talrun: error: '%s' is not an integer\n", s); return -1; }
		return 0;
	}
	if (p->kind == TALP_BYTES) {
		v->kind = TALV_BYTES;
		if (s[0] == '@') {
			uint8_t *b;
			if (read_whole(s + 1, MAX_ARG_FILE, &b, &v->n) != 0) {
				fprintf(stderr, "talrun: error: cannot read '%s': %s\n", s + 1, read_error(errno));
				return -2;
			}
			v->p = b;
		} else {
			v->n = strlen(s);
			v->p = malloc(v->n + 1);
			memcpy(v->p, s, v->n + 1);
		}
		return 0;
	}
	v->kind = TALV_WORDS;
	size_t cap = 8;
	int64_t *w = malloc(cap * sizeof *w);
	for (const char *q = s; *q;) {
		errno = 0;
		long long x = strtoll(q, &end, 0);
		if (errno || end == q || (*end && *end != ',')) { fprintf(stderr, "talrun: error: '%s' is not a list of integers\n", s); free(w); return -1; }
		if (v->n == cap) w = realloc(w, (cap *= 2) * sizeof *w);
		w[v->n++] = x;
		q = *end ? end + 1 : end;
	}
	v->p = w;
	return 0;
}

static void print_array(const TalParam *p, const TalValue *v)
{
	if (p->kind == TALP_WORDS) {
		const int64_t *w = v->p;
		for (size_t i = 0; i < v->n; i++) printf("%s%lld", i ? "," : "", (long long)w[i]);
		printf("\n");
	} else {
		fwrite(v->p, 1, v->n, stdout);
		printf("\n");
	}
}

typedef struct Opts { const char **certs; int ncert, verify; TalLimits lim; } Opts;

/* bytes: the module as --verify read and checked it (NULL: load the file) */
/* The exit status for a TALRT_E* code: itself, but 2 for an I/O error (as for usage). */
static int exit_status(int code)
{
	return code == TALRT_EIO ? 2 : code;
}

static int run(const Opts *o, const char *path, const uint8_t *bytes, size_t len, const char *export, char **argv, int argc)
{
	TalError err = { 0 };
	TalRuntime *rt = talrt_new(&err);
	if (!rt) { fprintf(stderr, "talrun: error: %s\n", err.msg); return 2; }
	for (int i = 0; i < o->ncert; i++)
		if (talrt_trust(rt, o->certs[i], &err) != 0) { fprintf(stderr, "talrun: error: %s\n", err.msg); talrt_free(rt); return 2; }
	TalMod *m = bytes ? talrt_load_mem(rt, bytes, len, &err) : talrt_load(rt, path, &err);
	if (!m) {
		fprintf(stderr, "talrun: %s: refused: %s\n", path, err.msg);
		talrt_free(rt);
		return exit_status(err.code);
	}
	int e = talrt_find_export(m, export), status = 0;
	TalParam p[6];
	TalValue v[6];
	int np = e < 0 ? -1 : talrt_export_params(m, e, p, &err), nv = 0;
	if (e < 0) { fprintf(stderr, "talrun: %s: no export '%s'\n", path, export); status = TALRT_ENOEXPORT; }
	else if (np < 0) { fprintf(stderr, "talrun: %s: export '%s': %s\n", path, export, err.msg); status = err.code; }
	int vp[6];
	for (int i = 0; !status && i < np; i++) {
		if (p[i].kind == TALP_CTX || p[i].kind == TALP_LEN) continue;
		if (nv >= argc) { fprintf(stderr, "talrun: error: '%s' takes more arguments than given (%d)\n", export, argc); status = TALRT_EARGS; break; }
		vp[nv] = i;
		int bad = parse_arg(&p[i], argv[nv], &v[nv]);
		if (bad) { status = bad == -2 ? TALRT_EIO : TALRT_EARGS; break; }   /* (@FILE unread: an I/O error) */
		nv++;
	}
	if (!status && nv < argc) { fprintf(stderr, "talrun: error: '%s' takes %d arguments, not %d\n", export, nv, argc); status = TALRT_EARGS; }
	TalInstance *in = status ? NULL : talrt_instantiate(m, &o->lim, &err);
	if (!status && !in) { fprintf(stderr, "talrun: error: %s\n", err.msg); status = 2; }
	TalResult r;
	if (in && talrt_call(in, e, v, nv, &r, &err) != 0) { fprintf(stderr, "talrun: error: %s\n", err.msg); status = err.code; }
	else if (in && r.trap) {
		fflush(stdout);
		if (r.file) fprintf(stderr, "%s:%u:%u: trap: %s (at .text+%#x in %s)\n", r.file, r.line, r.col, talrt_trap_name(r.trap), r.offset, path);
		else if (r.offset != UINT32_MAX) fprintf(stderr, "%s: trap: %s (at .text+%#x)\n", path, talrt_trap_name(r.trap), r.offset);
		else fprintf(stderr, "%s: trap: %s\n", path, talrt_trap_name(r.trap));
		status = 1;
	} else if (in) {
		printf("%lld\n", (long long)r.value);
		for (int i = 0; i < nv; i++)
			if (p[vp[i]].writable) print_array(&p[vp[i]], &v[i]);
	}
	for (int i = 0; i < nv; i++) free(v[i].p);
	talrt_destroy(in);
	talrt_unload(m);
	talrt_free(rt);
	return exit_status(status);
}

int main(int argc, char **argv)
{
	enum { O_HELP = 256, O_VERSION, O_CERT, O_VERIFY, O_STACK, O_QUOTA };
	static const struct option longs[] = {
		{ "help", no_argument, NULL, O_HELP }, { "version", no_argument, NULL, O_VERSION },
		{ "cert", required_argument, NULL, O_CERT }, { "verify", no_argument, NULL, O_VERIFY },
		{ "stack", required_argument, NULL, O_STACK }, { "quota", required_argument, NULL, O_QUOTA },
		{ NULL, 0, NULL, 0 },
	};
	Opts o = { 0 };
	const char *certs[64];
	o.certs = certs;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", longs, NULL)) != -1) {
		switch (c) {
		case O_CERT:
			if (o.ncert == 63) return usage_error("too many --cert options", NULL);
			o.certs[o.ncert++] = optarg;
			break;
		case O_VERIFY: o.verify = 1; break;
		case O_STACK: if (parse_size(optarg, &o.lim.stack_size)) return usage_error("bad --stack", optarg); break;
		case O_QUOTA: if (parse_size(optarg, &o.lim.memory_quota)) return usage_error("bad --quota", optarg); break;
		case O_HELP: fputs(usage, stdout); return 0;
		case O_VERSION: printf("talrun (tal) %s\n", TAL_VERSION); return 0;
		default: return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (argc - optind < 2) return usage_error("a module and an export are needed", NULL);
	if (!o.ncert && getenv("TAL_CERT")) o.certs[o.ncert++] = getenv("TAL_CERT");
	if (!o.ncert) return usage_error("no trusted certificate: give --cert CERT (or set TAL_CERT)", NULL);
	const char *path = argv[optind];
	uint8_t *bytes = NULL;
	size_t len = 0;
	if (o.verify) {   /* read once: what runs is what was checked */
		Diag d;
		diag_init(&d, "talrun", COLOR_AUTO);
		int n = tc_check_object(path, &d, NULL, TC_PROFILE_USER, &bytes, &len, NULL);
		diag_free(&d);
		if (n != 0) {
			tc_unread(bytes, len);
			fprintf(stderr, "talrun: %s: rejected by the verifier\n", path);
			return n < 0 ? 2 : 3;
		}
	}
	int r = run(&o, path, bytes, len, argv[optind + 1], argv + optind + 2, argc - optind - 2);
	tc_unread(bytes, len);
	return r;
}
