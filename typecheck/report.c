/*
** report.c - the checker's findings for machines: one JSON object a line
** (--json), or a SARIF 2.1.0 log (--sarif) for code-scanning services.
**
** The checker hands each finding over as a TcFinding (tc.h); nothing here
** decides anything, it only writes what it is given.  A SARIF log is a
** single document, so its results are kept until the end and the whole
** file is then written at once (atomic_write): a reader never sees half.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "atomicfile.h"
#include "tc.h"

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
		else if (ch < 32) fprintf(f, "\\u%04x", ch);
		else fputc(ch, f);
	}
	fputc('"', f);
}

/* The keys both formats give about the instruction: offset (when known), bytes, instruction, state. */
static void instruction_keys(FILE *f, const TcFinding *x)
{
	if (x->offset >= 0) fprintf(f, ", \"offset\": %lld", x->offset);
	if (x->insn) {
		fputs(", \"bytes\": ", f);
		json_str(f, x->bytes);
		fputs(", \"instruction\": ", f);
		json_str(f, x->insn);
		fputs(", \"state\": ", f);
		json_str(f, x->state);
	}
}

void tc_json_line(FILE *f, const TcFinding *x)
{
	fputs("{\"file\": ", f);
	json_str(f, x->file);
	fprintf(f, ", \"line\": %u, \"column\": %u, \"rule\": ", x->line, x->col);
	json_str(f, x->rule);
	fputs(", \"message\": ", f);
	json_str(f, x->message);
	instruction_keys(f, x);
	fputs("}\n", f);
	fflush(f);
}

/* ---- SARIF ---- */

/* A path as a relative URI reference: unreserved bytes and '/' as they are, the rest %XX. */
static void uri_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("-._~/", ch))
			fputc(ch, f);
		else
			fprintf(f, "%%%02X", ch);
	}
	fputc('"', f);
}

void tc_sarif_init(TcSarif *s)
{
	memset(s, 0, sizeof *s);
	s->res = open_memstream(&s->resbuf, &s->reslen);
	s->note = open_memstream(&s->notebuf, &s->notelen);
	if (!s->res || !s->note) s->broken = 1;
}

/* The index of a rule in the log's list, added when first seen. */
static unsigned rule_index(TcSarif *s, const char *rule)
{
	for (unsigned i = 0; i < s->nrules; i++)
		if (strcmp(s->rules[i], rule) == 0) return i;
	s->rules = xgrow(s->rules, sizeof *s->rules, (size_t)s->nrules + 1, &s->caprules);
	s->rules[s->nrules] = xmemdup(rule, strlen(rule) + 1);
	return s->nrules++;
}

/*
** A result: the rule, the message, where in the source (a region only
** when the line is known), and what the text diagnostic adds below it
** (the object, the .text offset, bytes, disassembly, state) as properties.
*/
void tc_sarif_result(TcSarif *s, const char *object, const TcFinding *x)
{
	if (s->broken) return;
	FILE *f = s->res;
	unsigned k = rule_index(s, x->rule);
	fputs(s->nres++ ? ",\n        " : "\n        ", f);
	fputs("{\"ruleId\": ", f);
	json_str(f, x->rule);
	fprintf(f, ", \"ruleIndex\": %u, \"level\": \"error\", \"message\": {\"text\": ", k);
	json_str(f, x->message);
	fputs("}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ", f);
	uri_str(f, x->file);
	fputc('}', f);
	if (x->line) {
		fprintf(f, ", \"region\": {\"startLine\": %u", x->line);
		if (x->col) fprintf(f, ", \"startColumn\": %u", x->col);
		fputc('}', f);
	}
	fputs("}}], \"properties\": {\"object\": ", f);
	json_str(f, object);
	instruction_keys(f, x);
	fputs("}}", f);
}

/* A file that could not be checked at all (not a TAL object, I/O): a notification, not a result. */
void tc_sarif_notification(TcSarif *s, const char *object, const char *message)
{
	if (s->broken) return;
	FILE *f = s->note;
	fputs(s->nnote++ ? ",\n          " : "\n          ", f);
	fputs("{\"level\": \"error\", \"message\": {\"text\": ", f);
	json_str(f, message);
	fputs("}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ", f);
	uri_str(f, object);
	fputs("}}}]}", f);
}

/*
** The whole log into path, at once.  `ok`: every file was checked (some
** may have been rejected: that is a result, not a failure of the run).
** 0, or -1 with errno set.
*/
int tc_sarif_write(TcSarif *s, const char *path, const char *version, int ok)
{
	if (s->broken || fflush(s->res) != 0 || fflush(s->note) != 0) { errno = ENOMEM; return -1; }
	char *doc = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&doc, &len);
	if (!f) return -1;
	fputs("{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n", f);
	fputs("      \"tool\": {\"driver\": {\"name\": \"talcheck\", \"version\": ", f);
	json_str(f, version);
	fputs(", \"rules\": [", f);
	for (unsigned i = 0; i < s->nrules; i++) {
		fputs(i ? ", {\"id\": " : "{\"id\": ", f);
		json_str(f, s->rules[i]);
		fputs("}", f);
	}
	fputs("]}},\n", f);
	fprintf(f, "      \"invocations\": [{\"executionSuccessful\": %s, \"toolExecutionNotifications\": [%s%s]}],\n",
	        ok ? "true" : "false", s->notebuf ? s->notebuf : "", s->nnote ? "\n        " : "");
	fprintf(f, "      \"results\": [%s%s]\n    }\n  ]\n}\n", s->resbuf ? s->resbuf : "", s->nres ? "\n      " : "");
	if (fclose(f) != 0) { free(doc); errno = ENOMEM; return -1; }
	int r = atomic_write(path, doc, len);
	free(doc);
	return r;
}

void tc_sarif_free(TcSarif *s)
{
	if (s->res) fclose(s->res);
	if (s->note) fclose(s->note);
	free(s->resbuf);
	free(s->notebuf);
	for (unsigned i = 0; i < s->nrules; i++) free(s->rules[i]);
	free(s->rules);
	memset(s, 0, sizeof *s);
}
