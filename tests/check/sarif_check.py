#!/usr/bin/env python3
"""sarif_check.py LOG DIAGNOSTICS [--successful true|false] [--results N]
                  [--notifications N] [--note-has TEXT]

Checks a SARIF log talcheck wrote against the text diagnostics of the same
run: the parts of SARIF 2.1.0 a code-scanning service reads are there and
well formed, and each "file:line:col: error: [rule] message" of the text is
a result with that rule, message, file, line and column, in the same order.
"""
import json
import re
import sys


def fail(msg):
    print("sarif_check: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        fail("usage: sarif_check.py LOG DIAGNOSTICS [options]")
    log_path, diag_path, opts = args[0], args[1], args[2:]
    want = {}
    for i in range(0, len(opts), 2):
        want[opts[i].lstrip("-")] = opts[i + 1]

    with open(log_path, encoding="utf-8") as f:
        log = json.load(f)
    if log.get("version") != "2.1.0":
        fail("version is not 2.1.0")
    if "sarif-2.1.0" not in log.get("$schema", ""):
        fail("no SARIF 2.1.0 $schema")
    runs = log.get("runs")
    if not isinstance(runs, list) or len(runs) != 1:
        fail("not one run")
    run = runs[0]
    driver = run["tool"]["driver"]
    if driver.get("name") != "talcheck" or not driver.get("version"):
        fail("the driver is not talcheck with a version")
    rules = [r["id"] for r in driver.get("rules", [])]
    if len(set(rules)) != len(rules):
        fail("a rule is listed twice")

    inv = run["invocations"]
    if len(inv) != 1 or not isinstance(inv[0]["executionSuccessful"], bool):
        fail("not one invocation saying whether it succeeded")
    if "successful" in want and inv[0]["executionSuccessful"] != (want["successful"] == "true"):
        fail("executionSuccessful is %s" % inv[0]["executionSuccessful"])
    notes = inv[0].get("toolExecutionNotifications", [])
    for n in notes:
        if n.get("level") != "error" or not n["message"]["text"]:
            fail("a notification without a level or text")
        if "\x1b" in n["message"]["text"] or "\n" in n["message"]["text"]:
            fail("a notification's text has colours or several lines")
        uri = n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        if not uri:
            fail("a notification without a file")
    if "notifications" in want and len(notes) != int(want["notifications"]):
        fail("%d notifications, not %s" % (len(notes), want["notifications"]))
    if "note-has" in want and not any(want["note-has"] in n["message"]["text"] for n in notes):
        fail("no notification says %r" % want["note-has"])

    results = run["results"]
    if "results" in want and len(results) != int(want["results"]):
        fail("%d results, not %s" % (len(results), want["results"]))
    used = set()
    for r in results:
        k = r["ruleIndex"]
        if not 0 <= k < len(rules) or rules[k] != r["ruleId"]:
            fail("ruleIndex %d does not give rule %s" % (k, r["ruleId"]))
        used.add(r["ruleId"])
        if r.get("level") != "error" or not r["message"]["text"]:
            fail("a result without a level or text")
        loc = r["locations"][0]["physicalLocation"]
        if not loc["artifactLocation"]["uri"]:
            fail("a result without a file")
        region = loc.get("region", {})
        if region.get("startLine", 1) < 1 or region.get("startColumn", 1) < 1:
            fail("a region that starts before line or column 1")
        props = r["properties"]
        if not props.get("object"):
            fail("a result without its object")
        if "instruction" in props and not (isinstance(props.get("offset"), int) and props.get("bytes")):
            fail("an instruction without its offset and bytes")
    if used != set(rules):
        fail("rules listed but not used, or used but not listed")

    # the text diagnostics, in order, are the results
    pat = re.compile(r"^([^:\s][^:]*):(\d+):(\d+): error: \[([a-z.]+)\] (.*)$")
    with open(diag_path, encoding="utf-8", errors="replace") as f:
        text = re.sub(r"\x1b\[[0-9;]*m", "", f.read())
    errs = [m.groups() for m in map(pat.match, text.splitlines()) if m]
    if len(errs) != len(results):
        fail("%d errors in the text, %d results" % (len(errs), len(results)))
    for (file, line, col, rule, msg), r in zip(errs, results):
        loc = r["locations"][0]["physicalLocation"]
        got = (loc["artifactLocation"]["uri"], loc.get("region", {}).get("startLine"),
               loc.get("region", {}).get("startColumn"), r["ruleId"], r["message"]["text"])
        if got != (file, int(line), int(col), rule, msg):
            fail("the text says %r, the log %r" % ((file, line, col, rule, msg), got))


if __name__ == "__main__":
    main()
