/*
** talas - the typed assembler.
**
**   read -> parse (encode as it goes) -> layout -> resolve -> write ELF
**
** Exit status: 0 success, 1 errors in the input, 2 usage or I/O errors.
*/
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "atomicfile.h"
#include "cli.h"
#include "version.h"

static const char usage[] =
	"Usage: talas [options] file.tal\n"
	"Assemble typed x86-64 assembly (Intel syntax) into an ELF64 relocatable object.\n"
	"\n"
	"Options:\n"
	"  -o FILE                    write the object to FILE (default: the input's name with .o)\n"
	"  -I DIR                     search DIR for .include files\n"
	"  -MD                        also write a make dependency file (default: the object's name with .d)\n"
	"  -MF FILE                   write the dependency file to FILE (implies -MD)\n"
	"  -MT TARGET                 name TARGET as the rule's target in the dependency file\n"
	"  -fmax-errors=N             stop after N errors (0: no limit; default 50)\n"
	"  -fdiagnostics-color[=WHEN] colour diagnostics: auto (the default without the option),\n"
	"                             always (the default with it), never\n"
	"  --help                     print this help and exit\n"
	"  --version                  print the version and exit\n"
	"\n"
	"Exit status: 0 success, 1 errors in the input, 2 usage or I/O error.\n";

typedef struct Opts {
	const char *in, *out, *depfile, *deptarget;
	const char **inc;
	int ninc, md, color, max_errors;
} Opts;

enum { O_HELP = 256, O_VERSION, O_MD, O_MF, O_MT, O_COLOR, O_MAXERR };

static int usage_error(const char *fmt, const char *arg)
{
	return cli_usage_error("talas", fmt, arg);
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, Opts *o)
{
	static const struct option longs[] = {
		{ "help", no_argument, NULL, O_HELP },
		{ "version", no_argument, NULL, O_VERSION },
		{ "MD", no_argument, NULL, O_MD },
		{ "MF", required_argument, NULL, O_MF },
		{ "MT", required_argument, NULL, O_MT },
		{ "fdiagnostics-color", optional_argument, NULL, O_COLOR },
		{ "fmax-errors", required_argument, NULL, O_MAXERR },
		{ NULL, 0, NULL, 0 },
	};
	o->inc = calloc((size_t)argc, sizeof *o->inc);
	o->max_errors = 50;
	opterr = 0;
	int c;
	while ((c = getopt_long_only(argc, argv, ":o:I:", longs, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'I': o->inc[o->ninc++] = optarg; break;
		case O_MD: o->md = 1; break;
		case O_MF: o->md = 1; o->depfile = optarg; break;
		case O_MT: o->deptarget = optarg; break;
		case O_MAXERR:
			if (cli_max_errors(optarg, &o->max_errors) != 0) return usage_error("bad -fmax-errors value '%s'", optarg);
			break;
		case O_COLOR:
			if (cli_color(optarg, &o->color) != 0) return usage_error("bad -fdiagnostics-color value '%s'", optarg);
			break;
		case O_HELP: fputs(usage, stdout); return 0;
		case O_VERSION:
			printf("talas (tal) %s\ntype section format %d\n", TAL_VERSION, TY_FORMAT_VERSION);
			return 0;
		case ':': return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default: return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc) return usage_error("no input file%s", "");
	if (optind + 1 < argc) return usage_error("more than one input file ('%s')", argv[optind + 1]);
	o->in = argv[optind];
	return -1;
}

static int assemble(Opts *o, Diag *d)
{
	Asm as;
	SrcFile f;
	Pos none = { 0, 0, 0 };
	int status = 0;
	char *dflt = o->out ? NULL : cli_derive(o->in, ".o", 0);
	const char *out = o->out ? o->out : dflt;
	as_init(&as, d);
	as.incdirs = o->inc;
	as.nincdirs = o->ninc;
	if (as_read(&as, o->in, none, &f) != 0) status = 2;
	else if (as_parse(&as, &f) != 0 || d->errors) status = 1;
	else if (as_layout(&as) != 0 || as_resolve(&as) != 0) status = 1;
	else if (as_write_elf(&as, out) != 0) status = 2;
	else if (o->md && cli_write_deps("talas", o->depfile, o->deptarget, out, as.deps, as.ndeps) != 0) status = 2;
	as_free(&as);
	free(dflt);
	return status;
}

int main(int argc, char **argv)
{
	Opts o;
	Diag d;
	memset(&o, 0, sizeof o);
	int r = parse_args(argc, argv, &o);
	if (r >= 0) { free(o.inc); return r; }
	diag_init(&d, "talas", o.color);
	d.max_errors = o.max_errors;
	r = assemble(&o, &d);
	if (r == 0 && d.errors) r = 1;
	diag_free(&d);
	free(o.inc);
	return r;
}
