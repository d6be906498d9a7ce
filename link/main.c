/*
** tallink - link typed objects into a module.
**
**   tallink -o out.tlm [-I dir] [--host iface.tali] a.o b.o ...
**
** Exit status: 0 success, 1 errors in the input, 2 usage or I/O errors.
*/
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "cli.h"
#include "sha256.h"
#include "link.h"
#include "module.h"
#include "version.h"

static const char usage[] =
	"Usage: tallink [options] file.o...\n"
	"       tallink [-I DIR] [--host FILE] (--interface-digest | --emit-interface FILE)\n"
	"Link typed objects into a module: one read-execute image, a data template,\n"
	"the merged type sections, the host services it imports and its entry points.\n"
	"\n"
	"Options:\n"
	"  -o FILE                    write the module to FILE (default: a.tlm)\n"
	"  -I DIR                     search DIR for interface files\n"
	"  --host FILE                the host interface (default: tal_host.tali on the -I path)\n"
	"  --interface-digest         print the SHA-256 digest of the host interface and exit\n"
	"  --emit-interface FILE      write the host interface's canonical bytes to FILE and exit\n"
	"  -MD                        also write a make dependency file (default: the module's name with .d)\n"
	"  -MF FILE                   write the dependency file to FILE (implies -MD)\n"
	"  -MT TARGET                 name TARGET as the rule's target in the dependency file\n"
	"  -fmax-errors=N             stop after N errors (0: no limit; default 50)\n"
	"  -fdiagnostics-color[=WHEN] colour diagnostics: auto, always, never\n"
	"  --help                     print this help and exit\n"
	"  --version                  print the version and exit\n"
	"\n"
	"Exit status: 0 success, 1 errors in the input, 2 usage or I/O error.\n";

typedef struct Opts {
	LinkOptions l;
	const char *depfile, *deptarget;
	int md, color, max_errors, digest;
	const char *emit;
} Opts;

enum { O_HELP = 256, O_VERSION, O_HOST, O_MD, O_MF, O_MT, O_COLOR, O_MAXERR, O_DIGEST, O_EMIT };

static int usage_error(const char *fmt, const char *arg)
{
	return cli_usage_error("tallink", fmt, arg);
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, Opts *o)
{
	static const struct option longs[] = {
		{ "help", no_argument, NULL, O_HELP },
		{ "version", no_argument, NULL, O_VERSION },
		{ "host", required_argument, NULL, O_HOST },
		{ "interface-digest", no_argument, NULL, O_DIGEST },
		{ "emit-interface", required_argument, NULL, O_EMIT },
		{ "MD", no_argument, NULL, O_MD },
		{ "MF", required_argument, NULL, O_MF },
		{ "MT", required_argument, NULL, O_MT },
		{ "fdiagnostics-color", optional_argument, NULL, O_COLOR },
		{ "fmax-errors", required_argument, NULL, O_MAXERR },
		{ NULL, 0, NULL, 0 },
	};
	o->l.incdirs = calloc((size_t)argc, sizeof *o->l.incdirs);
	o->max_errors = 50;
	opterr = 0;
	int c;
	while ((c = getopt_long_only(argc, argv, ":o:I:", longs, NULL)) != -1) {
		switch (c) {
		case 'o': o->l.out = optarg; break;
		case 'I': o->l.incdirs[o->l.nincdirs++] = optarg; break;
		case O_HOST: o->l.host = optarg; break;
		case O_DIGEST: o->digest = 1; break;
		case O_EMIT: o->emit = optarg; break;
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
			printf("tallink (tal) %s\nmodule format %d\n", TAL_VERSION, TALMOD_VERSION);
			return 0;
		case ':': return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default: return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (o->digest || o->emit) {
		if (optind != argc) return usage_error("no input files go with --interface-digest or --emit-interface ('%s')", argv[optind]);
		return -1;
	}
	if (optind == argc) return usage_error("no input file%s", "");
	o->l.inputs = (const char **)argv + optind;
	o->l.ninputs = argc - optind;
	if (!o->l.out) o->l.out = "a.tlm";
	return -1;
}

/*
** The host interface on its own: its canonical bytes (what modules embed)
** or their SHA-256, which hosts compare with a signed module's.
*/
static int interface_only(const Opts *o, Diag *d)
{
	char *path = link_find_interface(o->l.host ? o->l.host : "tal_host.tali", o->l.incdirs, o->l.nincdirs);
	if (!path) { diag_fatal(d, "cannot find the host interface '%s'", o->l.host ? o->l.host : "tal_host.tali"); return 2; }
	TyTable t;
	Buf b = { 0 };
	ty_init(&t);
	int r = link_interface(path, o->l.incdirs, o->l.nincdirs, d, &t, NULL, NULL, NULL);
	if (r == 0) {
		ty_encode(&t, &b);
		if (o->emit && atomic_write(o->emit, b.p, b.n) != 0) {
			diag_fatal(d, "cannot write '%s': %s", o->emit, strerror(errno));
			r = 2;
		}
		if (o->digest) {
			uint8_t h[32];
			sha256(b.p, b.n, h);
			for (int i = 0; i < 32; i++) printf("%02x", h[i]);
			printf("\n");
		}
	}
	free(b.p);
	ty_free(&t);
	free(path);
	return r;
}

int main(int argc, char **argv)
{
	Opts o;
	Diag d;
	memset(&o, 0, sizeof o);
	int r = parse_args(argc, argv, &o);
	if (r >= 0) { free(o.l.incdirs); return r; }
	diag_init(&d, "tallink", o.color);
	d.max_errors = o.max_errors;
	char **deps = NULL;
	uint32_t ndeps = 0;
	if (o.digest || o.emit) r = interface_only(&o, &d);
	else r = link_module(&o.l, &d, &deps, &ndeps);
	if (r == 0 && d.errors) r = 1;
	if (r == 0 && o.md && cli_write_deps("tallink", o.depfile, o.deptarget, o.l.out, deps, ndeps) != 0) r = 2;
	for (uint32_t i = 0; i < ndeps; i++) free(deps[i]);
	free(deps);
	diag_free(&d);
	free(o.l.incdirs);
	return r;
}
