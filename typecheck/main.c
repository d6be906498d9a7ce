/*
** talcheck - verify typed x86-64 machine code.
**
**   for each file: read the ELF object -> decode .text -> check every
**   instruction against the embedded types -> report
**
** Exit status: 0 every file verified, 1 some file rejected, 2 usage or I/O.
*/
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tc.h"
#include "version.h"

static const char usage[] =
	"Usage: talcheck [options] file.o...\n"
	"Verify the memory and control-flow safety of typed x86-64 objects.\n"
	"\n"
	"Options:\n"
	"  --json                     also write each diagnostic as a JSON line on standard output\n"
	"  -v                         say what was verified\n"
	"  -fdiagnostics-color[=WHEN] colour diagnostics: auto (the default), always, never\n"
	"  --help, --version\n"
	"\n"
	"Exit status: 0 all verified, 1 some file rejected, 2 usage or I/O error,\n"
	"or a file that is not a well-formed TAL object.\n";

enum { O_HELP = 256, O_VERSION, O_JSON, O_COLOR };

static int bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "talcheck: error: %s%s%s\nTry 'talcheck --help' for more information.\n", msg, arg ? " " : "", arg ? arg : "");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "help", no_argument, NULL, O_HELP }, { "version", no_argument, NULL, O_VERSION },
		{ "json", no_argument, NULL, O_JSON },
		{ "fdiagnostics-color", optional_argument, NULL, O_COLOR }, { NULL, 0, NULL, 0 },
	};
	int json = 0, verbose = 0, color = COLOR_AUTO, c;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, ":v", longs, NULL)) != -1) {
		switch (c) {
		case 'v': verbose = 1; break;
		case O_JSON: json = 1; break;
		case O_COLOR:
			if (!optarg || strcmp(optarg, "always") == 0) color = COLOR_ALWAYS;
			else if (strcmp(optarg, "never") == 0) color = COLOR_NEVER;
			else if (strcmp(optarg, "auto") == 0) color = COLOR_AUTO;
			else return bad_usage("bad -fdiagnostics-color value", optarg);
			break;
		case O_HELP: fputs(usage, stdout); return 0;
		case O_VERSION: printf("talcheck (tal) %s\ntype section format %d\n", TAL_VERSION, TY_FORMAT_VERSION); return 0;
		default: return bad_usage("unknown option", argv[optind - 1]);
		}
	}
	if (optind == argc) return bad_usage("no input file", NULL);
	int status = 0;
	for (int i = optind; i < argc; i++) {
		Diag d;
		diag_init(&d, "talcheck", color);
		d.max_errors = 0;
		int n = tc_check_object(argv[i], &d, json ? stdout : NULL);
		if (n < 0) status = 2;
		else if (n > 0 && status < 1) status = 1;
		if (n == 0 && verbose) fprintf(stderr, "%s: verified\n", argv[i]);
		diag_free(&d);
	}
	return status;
}
