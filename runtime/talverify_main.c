/*
** talverify - check the signatures of signed TAL modules.
**
**   certificates -> trust set; interface -> digest;
**   for each module: read it whole -> talsig_verify -> one line on stderr
**
** It only reads.  Exit status: 0 every module verified, 1 some module
** refused, 2 usage or I/O error.
*/
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "readfile.h"
#include "sha256.h"
#include "talsign.h"
#include "version.h"

#ifndef TAL_VERSION
#define TAL_VERSION "unknown"
#endif

/* A signed file is a module and at most this much more. */
#define MAX_FILE ((size_t)TALMOD_MAX_SIZE + (1u << 20))

static const char usage[] =
	"Usage: talverify --cert CERT [--cert CERT]... (--interface-digest HEX | --interface FILE) module.tlm...\n"
	"Check the signatures of signed TAL modules.\n"
	"\n"
	"Options:\n"
	"  --cert CERT              trust the certificates in CERT (PEM, or one DER certificate);\n"
	"                           may be given several times\n"
	"  --interface-digest HEX   the SHA-256 of the host interface, as 64 hex digits\n"
	"  --interface FILE         the host interface: its digest is the SHA-256 of FILE\n"
	"  --help, --version\n"
	"\n"
	"Exit status: 0 all verified, 1 some module refused, 2 usage or I/O error.\n";

enum { O_HELP = 256, O_VERSION, O_CERT, O_DIGEST, O_IFACE };

typedef struct Opts {
	TalTrust *trust;
	uint8_t digest[32];
	int have_digest;
} Opts;

/* Say what is wrong with the command line; the exit status for it. */
static int bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "talverify: error: %s%s%s\nTry 'talverify --help' for more information.\n", msg, arg ? " " : "",
	        arg ? arg : "");
	return 2;
}

/* 64 hex digits into 32 bytes.  0 or -1. */
static int parse_hex(const char *s, uint8_t out[32])
{
	if (strlen(s) != 64) return -1;
	for (int i = 0; i < 64; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (v < 0) return -1;
		out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | v : v << 4);
	}
	return 0;
}

/* The digest of an interface file.  0, or 2 after a message. */
static int digest_file(const char *path, uint8_t out[32])
{
	uint8_t *p;
	size_t n;
	if (read_whole(path, TALMOD_MAX_SIZE, &p, &n)) {
		fprintf(stderr, "talverify: error: cannot read the interface %s: %s\n", path, read_error(errno));
		return 2;
	}
	sha256(p, n, out);
	free(p);
	return 0;
}

/* Read the options into o; the index of the first module, or -(exit status). */
static int parse_options(int argc, char **argv, Opts *o)
{
	static const struct option longs[] = {
		{ "help", no_argument, NULL, O_HELP }, { "version", no_argument, NULL, O_VERSION },
		{ "cert", required_argument, NULL, O_CERT }, { "interface-digest", required_argument, NULL, O_DIGEST },
		{ "interface", required_argument, NULL, O_IFACE }, { NULL, 0, NULL, 0 },
	};
	char err[1024];
	int c;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, ":", longs, NULL)) != -1) {
		switch (c) {
		case O_HELP: fputs(usage, stdout); return 0;
		case O_VERSION: printf("talverify (tal) %s\nmodule format %d\n", TAL_VERSION, TALMOD_VERSION); return 0;
		case O_CERT:
			if (taltrust_add_file(o->trust, optarg, err, sizeof err) == 0) break;
			fprintf(stderr, "talverify: error: %s\n", err);
			return -2;
		case O_DIGEST:
		case O_IFACE:
			if (o->have_digest) return -bad_usage("give the interface once, by --interface or --interface-digest", NULL);
			o->have_digest = 1;
			if (c == O_DIGEST && parse_hex(optarg, o->digest)) return -bad_usage("not 64 hex digits:", optarg);
			if (c == O_IFACE && digest_file(optarg, o->digest)) return -2;
			break;
		case ':': return -bad_usage("missing argument to", argv[optind - 1]);
		default: return -bad_usage("unknown option", argv[optind - 1]);
		}
	}
	if (taltrust_count(o->trust) == 0) return -bad_usage("no --cert: no signer would be trusted", NULL);
	if (!o->have_digest) return -bad_usage("no --interface or --interface-digest", NULL);
	if (optind == argc) return -bad_usage("no module", NULL);
	return optind;
}

/* Verify one file and say so.  The exit status for it. */
static int verify_one(const char *path, const Opts *o)
{
	uint8_t *p;
	size_t n;
	char why[1024];
	TalSigned s;
	if (read_whole(path, MAX_FILE, &p, &n)) {
		if (errno != EFBIG) {
			fprintf(stderr, "talverify: error: cannot read %s: %s\n", path, read_error(errno));
			return 2;
		}
		fprintf(stderr, "%s: error: [%s] the file is larger than any signed module\n", path,
		        talsig_result_name(TALV_MALFORMED));
		return 1;
	}
	int rc = talsig_verify(p, n, o->trust, o->digest, NULL, &s, why, sizeof why);
	if (rc == TALV_OK) fprintf(stderr, "%s: ok (verified by %s)\n", path, s.att.verifier);
	else fprintf(stderr, "%s: error: [%s] %s\n", path, talsig_result_name(rc), why);
	free(p);
	return rc == TALV_OK ? 0 : 1;
}

/* Every module is verified, even after a refusal; the status is the worst. */
int main(int argc, char **argv)
{
	Opts o = { .trust = taltrust_new() };
	int status = 0;
	if (!o.trust) {
		fputs("talverify: error: out of memory\n", stderr);
		return 2;
	}
	int first = parse_options(argc, argv, &o);
	if (first <= 0) status = -first;
	for (int i = first; first > 0 && i < argc; i++) {
		int r = verify_one(argv[i], &o);
		if (r > status) status = r;
	}
	taltrust_free(o.trust);
	return status;
}
