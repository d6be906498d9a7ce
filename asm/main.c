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
	fprintf(stderr, "talas: error: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'talas --help' for more information.\n");
	return 2;
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
		case O_MAXERR: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 0) return usage_error("bad -fmax-errors value '%s'", optarg);
			o->max_errors = (int)n;
			break;
		}
		case O_COLOR:
			if (!optarg || strcmp(optarg, "always") == 0) o->color = COLOR_ALWAYS;   /* as gcc */
			else if (strcmp(optarg, "auto") == 0) o->color = COLOR_AUTO;
			else if (strcmp(optarg, "never") == 0) o->color = COLOR_NEVER;
			else return usage_error("bad -fdiagnostics-color value '%s'", optarg);
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

/*
** file.tal -> file.o in the current directory, as cc -c does; with `keepdir`
** the directory stays (dir/x.o -> dir/x.d, as gcc -MD does).
*/
static char *derive(const char *path, const char *ext, int keepdir)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strcmp(path, "-") == 0) base = "stdin";
	const char *from = keepdir ? path : base, *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - from) : strlen(from);
	char *s = malloc(n + strlen(ext) + 1);
	if (!s) return NULL;
	memcpy(s, from, n);
	strcpy(s + n, ext);
	return s;
}

/* target: dep dep ... with a phony rule per dependency, as gcc -MP writes. */
static int write_deps(Asm *as, const Opts *o, const char *out)
{
	Buf b = { 0 };
	const char *target = o->deptarget ? o->deptarget : out;
	buf_put(&b, target, strlen(target));
	buf_put(&b, ":", 1);
	for (uint32_t i = 0; i < as->ndeps; i++) {
		buf_put(&b, " ", 1);
		buf_put(&b, as->deps[i], strlen(as->deps[i]));
	}
	buf_put(&b, "\n", 1);
	for (uint32_t i = 1; i < as->ndeps; i++) {
		buf_put(&b, "\n", 1);
		buf_put(&b, as->deps[i], strlen(as->deps[i]));
		buf_put(&b, ":\n", 2);
	}
	char *dflt = o->depfile ? NULL : derive(out, ".d", 1);
	const char *path = o->depfile ? o->depfile : dflt;
	int r = path ? atomic_write(path, b.p, b.n) : -1;
	if (r != 0) fprintf(stderr, "talas: fatal error: cannot write '%s': %s\n", path ? path : "", strerror(errno));
	free(dflt);
	free(b.p);
	return r;
}

static int assemble(Opts *o, Diag *d)
{
	Asm as;
	SrcFile f;
	Pos none = { 0, 0, 0 };
	int status = 0;
	char *dflt = o->out ? NULL : derive(o->in, ".o", 0);
	const char *out = o->out ? o->out : dflt;
	as_init(&as, d);
	as.incdirs = o->inc;
	as.nincdirs = o->ninc;
	if (as_read(&as, o->in, none, &f) != 0) status = 2;
	else if (as_parse(&as, &f) != 0 || d->errors) status = 1;
	else if (as_layout(&as) != 0 || as_resolve(&as) != 0) status = 1;
	else if (as_write_elf(&as, out) != 0) status = 2;
	else if (o->md && write_deps(&as, o, out) != 0) status = 2;
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
