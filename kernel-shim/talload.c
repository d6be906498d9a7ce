/*
 * talload - load signed TAL modules into the kernel through talshim.ko.
 *
 *   talload load CARRIER.ko MODULE.signed.tlm NAME
 *   talload fill CARRIER.ko MODULE.signed.tlm NAME OUT.ko
 *   talload unload NAME
 *   talload list
 *   talload call NAME EXPORT [INT|@FILE|+FILE...]
 *   talload addcert CERT.der
 *
 * load fills a copy of the carrier (talcarrier.ko) with the module: its
 * image into the placeholder of .tal.text, each of the image's stubs set to
 * a direct branch to the carrier's fixed stub of that service, the signed
 * file into .tal.signed, the lengths into .tal.lens, and the kernel module
 * name "tal_NAME" into .gnu.linkonce.this_module; then loads it with
 * finit_module (fill writes the filled carrier to OUT.ko instead, for
 * insmod or inspection).  talshim.ko checks everything at the carrier's init: a
 * refusal makes the load fail, with the reason in the kernel log.
 *
 * Exit status: 0 done; 1 refused by the kernel, or the call trapped; 2 usage
 * or I/O error.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "module.h"
#include "talshim_uapi.h"

#define THIS_MODULE_NAME_OFF 24	/* offsetof(struct module, name) on x86-64 */
#define MODULE_NAME_LEN 56

/* The imports of tal_kernel.tali, in order: the carrier's fixed stubs. */
static const char *const services[] = {
	"tal_trap_bounds", "tal_trap_stack", "tal_trap_null", "tal_trap_div", "tal_trap_fuel",
	"tal_getpid", "tal_clock", "tal_log", "tal_buf_len", "tal_copy_in", "tal_copy_out", "tal_alloc_bytes",
	"tal_dir_open", "tal_dir_read", "tal_dir_enter", "tal_dir_close",
};
#define NSERVICES ((int)(sizeof services / sizeof services[0]))

static const char *trap_names[] = { "none", "bounds", "stack", "null", "division by zero", "fuel", "quota" };

static void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("talload: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(code);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);   /* a FIFO with no writer: no wait, refused below */
	if (fd < 0) die(2, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 64 << 20)
		die(2, "'%s' is not a regular file of a reasonable size", path);
	uint8_t *p = malloc((size_t)st.st_size + 1);
	if (!p) die(2, "out of memory");
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, (size_t)st.st_size - got);
		if (n <= 0) die(2, "cannot read '%s': %s", path, n < 0 ? strerror(errno) : "short file");
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return p;
}

static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* A section of the carrier by name: its file offset and size. */
static int find_section(const uint8_t *ko, size_t len, const char *name, size_t *off, size_t *size)
{
	if (len < 64 || memcmp(ko, "\177ELF\2\1", 6) != 0) die(2, "the carrier is not an ELF64 little-endian file");
	uint64_t shoff = get64(ko + 40);
	uint16_t shentsize = get16(ko + 58), shnum = get16(ko + 60), shstrndx = get16(ko + 62);
	if (shentsize != 64 || shoff > len || (uint64_t)shnum * 64 > len - shoff || shstrndx >= shnum)
		die(2, "the carrier's section table is damaged");
	const uint8_t *strsh = ko + shoff + 64 * (size_t)shstrndx;
	uint64_t stroff = get64(strsh + 24), strsize = get64(strsh + 32);
	if (stroff > len || strsize > len - stroff) die(2, "the carrier's section names are damaged");
	for (unsigned i = 0; i < shnum; i++) {
		const uint8_t *sh = ko + shoff + 64 * (size_t)i;
		uint32_t nm = get32(sh);
		uint64_t o = get64(sh + 24), s = get64(sh + 32);
		if (nm >= strsize || !memchr(ko + stroff + nm, 0, strsize - nm)) continue;
		if (strcmp((const char *)ko + stroff + nm, name) != 0) continue;
		if (o > len || s > len - o) die(2, "the carrier's section %s lies outside the file", name);
		*off = o;
		*size = s;
		return 0;
	}
	return -1;
}

static size_t section(const uint8_t *ko, size_t len, const char *name, size_t want)
{
	size_t off, size;
	if (find_section(ko, len, name, &off, &size) != 0)
		die(2, "the carrier has no section %s: not a talcarrier.ko", name);
	if (size < want) die(2, "the carrier's section %s has %zu bytes, %zu expected", name, size, want);
	return off;
}

static void check_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= TAL_NAME_MAX) die(2, "a module's name has 1 to %d characters", TAL_NAME_MAX - 1);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			die(2, "a module's name has letters, digits and '_' only: '%s'", name);
}

/* The last line the shim logged about `name`, if the log can be read. */
static void show_reason(const char *name)
{
	char rec[1024], last[1024] = "", key[TAL_NAME_MAX + 16];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) return;
	snprintf(key, sizeof key, "talshim: %s: ", name);
	for (;;) {
		ssize_t n = read(fd, rec, sizeof rec - 1);
		if (n < 0 && errno == EPIPE) continue;   /* overwritten records */
		if (n <= 0) break;
		rec[n] = 0;
		char *msg = strchr(rec, ';'), *nl;
		if (!msg) continue;
		msg++;
		if ((nl = strchr(msg, '\n'))) *nl = 0;
		if (strstr(msg, key) == msg) snprintf(last, sizeof last, "%s", msg);
	}
	close(fd);
	if (*last) fprintf(stderr, "talload: kernel log: %s\n", last);
}

static const char *refusal(int e)
{
	switch (e) {
	case ENODATA: return "the module is not signed";
	case ENOKEY: return "signed by a key the shim does not trust";
	case EKEYREJECTED: return "the signature does not match the bytes (tampered)";
	case EBADMSG: return "the signature or its trailer is malformed";
	case EPROTO: return "verified against another interface than the kernel's";
	case EPROTONOSUPPORT: return "not verified with the kernel profile (talcheck --profile kernel)";
	case EILSEQ: return "the carrier's code is not the signed image";
	case ENOEXEC: return "malformed module, or a service the kernel does not provide";
	case EEXIST: return "a module of that name is already loaded";
	case EOPNOTSUPP: return "the module uses something the kernel shim does not support";
	case ENOENT: return "talshim.ko is not loaded (unknown symbols)";
	default: return NULL;
	}
}

/* Fill a copy of the carrier; load it, or write it to `out` (fill). */
static int cmd_load(const char *carrier, const char *modpath, const char *name, const char *out)
{
	size_t ko_len, sf_len;
	char why[256];
	check_name(name);
	uint8_t *ko = read_file(carrier, &ko_len);
	uint8_t *sf = read_file(modpath, &sf_len);

	/* The module: the signed file's prefix, or the whole file (the kernel
	   refuses what is unsigned; talload still builds the carrier). */
	TalSigned s;
	TalModule m;
	const uint8_t *mod = sf;
	size_t mod_len = sf_len;
	if (talsig_split(sf, sf_len, &s, why, sizeof why) == TALSIG_OK) {
		mod = s.module;
		mod_len = s.module_len;
	} else {
		fprintf(stderr, "talload: warning: %s: %s\n", modpath, why);
	}
	if (talmod_parse(&m, mod, mod_len, why, sizeof why) != 0) die(2, "%s: %s", modpath, why);
	if (m.image_size > TAL_CARRIER_IMAGE_MAX) die(2, "%s: an image of %u bytes does not fit the carrier (%u)", modpath, m.image_size, TAL_CARRIER_IMAGE_MAX);
	if (sf_len > TAL_CARRIER_SIGNED_MAX) die(2, "%s: %zu bytes do not fit the carrier (%u)", modpath, sf_len, TAL_CARRIER_SIGNED_MAX);

	size_t text = section(ko, ko_len, ".tal.text", TAL_KSTUB_AREA + TAL_CARRIER_IMAGE_MAX);
	size_t sig = section(ko, ko_len, ".tal.signed", TAL_CARRIER_SIGNED_MAX);
	size_t lens = section(ko, ko_len, ".tal.lens", sizeof(struct tal_carrier_lens));
	size_t this = section(ko, ko_len, ".gnu.linkonce.this_module", THIS_MODULE_NAME_OFF + MODULE_NAME_LEN);
	char *kname = (char *)ko + this + THIS_MODULE_NAME_OFF;
	if (!memchr(kname, 0, MODULE_NAME_LEN) || strcmp(kname, "talcarrier") != 0)
		die(2, "%s: not an unfilled talcarrier.ko (its module name is not talcarrier)", carrier);

	/* the image, then its stubs: direct branches to the fixed stubs (tal_getpid: to its body) */
	uint8_t *img = ko + text + TAL_KSTUB_AREA;
	memcpy(img, mod + m.image_off, m.image_size);
	for (uint32_t i = 0; i < m.nimports; i++) {
		const char *svc = talmod_import_name(&m, i);
		uint8_t *stub = img + m.stubs_off + i * TALMOD_STUB_SIZE;
		int k = 0;
		while (k < NSERVICES && strcmp(services[k], svc) != 0) k++;
		memset(stub, 0xcc, TALMOD_STUB_SIZE);
		if (k == NSERVICES) {
			fprintf(stderr, "talload: warning: the module imports '%s', which the kernel interface does not have\n", svc);
			continue;
		}
		int32_t rel = (int32_t)tal_kstub_dest(k, strcmp(svc, "tal_getpid") == 0) -
		              (int32_t)(TAL_KSTUB_AREA + m.stubs_off + i * TALMOD_STUB_SIZE + 5);
		stub[0] = strncmp(svc, "tal_trap_", 9) == 0 ? 0xe8 : 0xe9;   /* traps: call, so the shim sees which */
		memcpy(stub + 1, &rel, 4);
	}
	/* the entry trampolines: endbr64, then a direct jump to the export */
	if (m.nexports > TAL_KENTRY_MAX) die(2, "%s: %u exports do not fit the carrier's %d entry trampolines", modpath, m.nexports, TAL_KENTRY_MAX);
	for (uint32_t i = 0; i < m.nexports; i++) {
		uint8_t *t = ko + text + TAL_KENTRY_OFF + i * TAL_KENTRY_SIZE;
		static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
		int32_t rel = (int32_t)(TAL_KSTUB_AREA + talmod_export_offset(&m, i)) - (int32_t)(TAL_KENTRY_OFF + i * TAL_KENTRY_SIZE + 9);
		memset(t, 0xcc, TAL_KENTRY_SIZE);
		memcpy(t, endbr64, 4);
		t[4] = 0xe9;
		memcpy(t + 5, &rel, 4);
	}
	memcpy(ko + sig, sf, sf_len);
	struct tal_carrier_lens l = { TAL_CARRIER_FILLED, m.image_size, (uint32_t)sf_len, 0 };
	memcpy(ko + lens, &l, sizeof l);
	memset(kname, 0, MODULE_NAME_LEN);
	snprintf(kname, MODULE_NAME_LEN, "%s%s", TAL_CARRIER_PREFIX, name);

	if (out) {
		char tmp[PATH_MAX];
		snprintf(tmp, sizeof tmp, "%s.tmp", out);
		FILE *f = fopen(tmp, "wb");
		if (!f || fwrite(ko, 1, ko_len, f) != ko_len || fclose(f) != 0 || rename(tmp, out) != 0) {
			unlink(tmp);
			die(2, "cannot write '%s': %s", out, strerror(errno));
		}
		printf("%s: filled with %s as kernel module %s%s\n", out, modpath, TAL_CARRIER_PREFIX, name);
		return 0;
	}

	char tmp[PATH_MAX];
	const char *dir = getenv("TMPDIR");
	snprintf(tmp, sizeof tmp, "%s/talload-XXXXXX", dir && *dir ? dir : "/tmp");
	int wfd = mkstemp(tmp);
	if (wfd < 0) die(2, "cannot make a temporary file in %s: %s", dir && *dir ? dir : "/tmp", strerror(errno));
	for (size_t done = 0; done < ko_len;) {
		ssize_t n = write(wfd, ko + done, ko_len - done);
		if (n <= 0) { unlink(tmp); die(2, "cannot write the carrier: %s", n < 0 ? strerror(errno) : "short write"); }
		done += (size_t)n;
	}
	/* finit_module refuses a file open for writing (ETXTBSY) */
	int fd = open(tmp, O_RDONLY | O_CLOEXEC);
	int oe = errno;
	close(wfd);
	unlink(tmp);
	if (fd < 0) die(2, "cannot reopen '%s': %s", tmp, strerror(oe));
	if (syscall(SYS_finit_module, fd, "", 0) != 0) {
		int e = errno;
		const char *r = refusal(e);
		close(fd);
		fprintf(stderr, "talload: the kernel refused '%s': %s%s%s (see the kernel log: dmesg)\n",
		        name, strerror(e), r ? ": " : "", r ? r : "");
		show_reason(name);
		return 1;
	}
	close(fd);
	printf("%s: loaded (kernel module %s%s)\n", name, TAL_CARRIER_PREFIX, name);
	return 0;
}

static int cmd_unload(const char *name)
{
	char kname[MODULE_NAME_LEN];
	check_name(name);
	snprintf(kname, sizeof kname, "%s%s", TAL_CARRIER_PREFIX, name);
	if (syscall(SYS_delete_module, kname, O_NONBLOCK) != 0) {
		int e = errno;
		if (e == EWOULDBLOCK || e == EBUSY) die(1, "'%s' is in use (an invocation is running)", name);
		if (e == ENOENT) die(1, "no module '%s' is loaded", name);
		die(2, "cannot unload '%s': %s", name, strerror(e));
	}
	printf("%s: unloaded\n", name);
	return 0;
}

static int open_dev(void)
{
	int fd = open("/dev/tal", O_RDWR | O_CLOEXEC);
	if (fd < 0) die(2, "cannot open /dev/tal: %s%s", strerror(errno), errno == ENOENT ? " (is talshim.ko loaded?)" : "");
	return fd;
}

static int cmd_list(void)
{
	int fd = open_dev();
	for (uint32_t i = 0;; i++) {
		struct tal_list l;
		memset(&l, 0, sizeof l);
		l.index = i;
		if (ioctl(fd, TAL_IOC_LIST, &l) != 0) {
			if (errno == ENOENT) break;
			die(2, "TAL_IOC_LIST: %s", strerror(errno));
		}
		l.name[TAL_NAME_MAX - 1] = 0;
		printf("%s\t%u exports\t%u bytes\t%u running\n", l.name, l.nexports, l.image_size, l.invocations);
	}
	close(fd);
	return 0;
}

/*
** call NAME EXPORT [ARG...]: integers go to rsi..r9; @FILE is a buffer the
** module may read, +FILE one it may also write (written back to FILE after
** a call that returned), in order: buffer 0, 1, ...
*/
static int cmd_call(const char *name, const char *export, int argc, char **argv)
{
	struct tal_invoke_buf b;
	struct tal_invoke *r = &b.call;
	const char *files[TAL_MAX_BUFS];
	size_t lens[TAL_MAX_BUFS];
	memset(&b, 0, sizeof b);
	if (strlen(name) >= sizeof r->module || strlen(export) >= sizeof r->export) die(2, "a name is too long");
	strcpy(r->module, name);
	strcpy(r->export, export);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == '@' || a[0] == '+') {
			if (b.nbufs == TAL_MAX_BUFS) die(2, "at most %d buffers", TAL_MAX_BUFS);
			uint8_t *p = read_file(a + 1, &lens[b.nbufs]);
			files[b.nbufs] = a + 1;
			b.ptr[b.nbufs] = (uint64_t)(uintptr_t)p;
			b.len[b.nbufs] = (uint32_t)lens[b.nbufs];
			if (a[0] == '+') b.writable |= 1u << b.nbufs;
			b.nbufs++;
			continue;
		}
		if (r->nargs == TAL_MAX_ARGS) die(2, "at most %d integer arguments (the context takes rdi)", TAL_MAX_ARGS);
		char *end;
		errno = 0;
		r->args[r->nargs] = strtoll(a, &end, 0);
		if (errno || end == a || *end) die(2, "'%s' is not a 64-bit integer (or @FILE, +FILE for a buffer)", a);
		r->nargs++;
	}
	int fd = open_dev();
	int rc = b.nbufs ? ioctl(fd, TAL_IOC_INVOKE_BUF, &b) : ioctl(fd, TAL_IOC_INVOKE, r);
	if (rc != 0) {
		int e = errno;
		if (e == ENOENT) die(2, "no module '%s' is loaded", name);
		if (e == ESRCH) die(2, "module '%s' has no export '%s'", name, export);
		die(2, "%s: %s", b.nbufs ? "TAL_IOC_INVOKE_BUF" : "TAL_IOC_INVOKE", strerror(e));
	}
	close(fd);
	if (r->trap) {
		const char *t = r->trap > 0 && r->trap <= TAL_TRAP_QUOTA ? trap_names[r->trap] : "?";
		if (r->offset != TAL_NO_OFFSET && r->file[0] && memchr(r->file, 0, sizeof r->file))
			printf("%s:%u:%u: trap: %s at code offset %#x\n", r->file, r->line, r->col, t, r->offset);
		else if (r->offset != TAL_NO_OFFSET) printf("trap: %s at code offset %#x\n", t, r->offset);
		else printf("trap: %s\n", t);
		return 1;
	}
	for (uint32_t i = 0; i < b.nbufs; i++) {
		if (!(b.writable & (1u << i))) continue;
		FILE *f = fopen(files[i], "wb");
		if (!f || fwrite((void *)(uintptr_t)b.ptr[i], 1, lens[i], f) != lens[i] || fclose(f) != 0)
			die(2, "cannot write '%s' back: %s", files[i], strerror(errno));
	}
	printf("%lld\n", (long long)r->result);
	return 0;
}

static int cmd_addcert(const char *path)
{
	size_t len;
	uint8_t *der = read_file(path, &len);
	struct tal_cert c = { (uint64_t)(uintptr_t)der, (uint32_t)len, 0 };
	int fd = open_dev();
	if (ioctl(fd, TAL_IOC_ADD_CERT, &c) != 0)
		die(errno == EPERM ? 1 : 2, "cannot add '%s' to the shim's keyring: %s%s", path, strerror(errno),
		    errno == EBADMSG ? " (an X.509 certificate in DER is expected)" : "");
	close(fd);
	printf("%s: trusted (key %d)\n", path, c.serial);
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: talload load CARRIER.ko MODULE.signed.tlm NAME\n"
	      "       talload fill CARRIER.ko MODULE.signed.tlm NAME OUT.ko   (fill, do not load)\n"
	      "       talload unload NAME\n"
	      "       talload list\n"
	      "       talload call NAME EXPORT [INT | @FILE | +FILE...]   (@: a buffer to read, +: to read and write back)\n"
	      "       talload addcert CERT.der\n"
	      "Load signed TAL modules into the kernel (talshim.ko) and invoke their exports.\n"
	      "Exit status: 0 done, 1 refused or trapped, 2 usage or I/O error.\n", f);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) { usage(stdout); return 0; }
	if (argc == 5 && !strcmp(argv[1], "load")) return cmd_load(argv[2], argv[3], argv[4], NULL);
	if (argc == 6 && !strcmp(argv[1], "fill")) return cmd_load(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 3 && !strcmp(argv[1], "unload")) return cmd_unload(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "list")) return cmd_list();
	if (argc >= 4 && !strcmp(argv[1], "call")) return cmd_call(argv[2], argv[3], argc - 4, argv + 4);
	if (argc == 3 && !strcmp(argv[1], "addcert")) return cmd_addcert(argv[2]);
	usage(stderr);
	return 2;
}
