#!/usr/bin/python3
"""Validate the plugin's request and result JSON against docs/schemas.

usage: validate_results.py RESULTS_DIR SCHEMAS_DIR [--docs docs/operations.md] [-v]

RESULTS_DIR holds what the integration tests recorded, one pair per successful
call: <op>-<n>.result.json and (optionally) <op>-<n>.request.json, plus
secrets.txt (one secret per line) when the tests registered secrets.

Checks, each counted as passed or failed:
  - every schema in SCHEMAS_DIR/<op>.{request,result}.json is a valid
    JSON Schema (draft 2020-12);
  - every result file validates against <op>.result.json, contains none of
    the secrets, and (capabilities) has flags equal to its named booleans;
  - every request file validates against <op>.request.json;
  - every operation has at least one result;
  - with --docs: every ```json block under a "## <op>" heading validates,
    as that operation's result when it has an "operation" member, otherwise
    as its request.

JSON is read as strictly as the plugin reads it (json-c, strict mode): no NaN
or Infinity, no duplicate members, and 100.0 is not an integer.

The last line printed is "N passed, M failed"; the exit status is 0 only when
M is 0 (2 for a usage error). Needs only the standard library and jsonschema
(Debian: python3-jsonschema; run it with /usr/bin/python3).
"""
import argparse
import json
import os
import re
import sys

import jsonschema
from jsonschema import Draft202012Validator

OPERATIONS = ["capabilities", "enroll", "payer_status", "authorize", "capture", "void",
              "refund", "adjust", "status", "notify"]

# PMP_CAP_* bits of abi/pmp.h and the boolean naming each in the capabilities result.
CAP_BITS = {"partial_capture": 1 << 0, "multiple_captures": 1 << 1, "refund": 1 << 2,
            "partial_refund": 1 << 3, "void": 1 << 4, "adjust": 1 << 5,
            "async_review": 1 << 6, "notifications": 1 << 7, "payer_enrollment": 1 << 8}

FILE_RE = re.compile(r"^(?P<op>[a-z_]+)-(?P<n>[0-9]+)\.(?P<kind>request|result)\.json$")


def _is_integer(checker, instance):
    # json-c types 100.0 as a double, which the plugin rejects for amounts.
    return isinstance(instance, int) and not isinstance(instance, bool)


StrictValidator = jsonschema.validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer))


def _format_checker():
    checker = getattr(Draft202012Validator, "FORMAT_CHECKER", None)
    if checker is None:
        checker = getattr(jsonschema, "draft202012_format_checker", None)
    return checker if checker is not None else jsonschema.FormatChecker()


class JSONTextError(ValueError):
    pass


def _no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise JSONTextError("duplicate member %r" % key)
        seen[key] = value
    return seen


def _no_constants(name):
    raise JSONTextError("%s is not JSON" % name)


def parse_json(text):
    """Parses JSON text strictly; raises JSONTextError or ValueError."""
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)


class Report:
    def __init__(self, verbose):
        self.passed = 0
        self.failed = 0
        self.verbose = verbose

    def check(self, what, problems):
        if problems:
            self.failed += 1
            print("FAIL %s" % what)
            for p in problems:
                print("     %s" % p)
        else:
            self.passed += 1
            if self.verbose:
                print("ok   %s" % what)


def schema_problems(validator, instance, limit=10):
    errors = sorted(validator.iter_errors(instance),
                    key=lambda e: (list(e.absolute_path), e.message))
    out = []
    for e in errors[:limit]:
        where = "/" + "/".join(str(p) for p in e.absolute_path)
        message = e.message if len(e.message) <= 300 else e.message[:297] + "..."
        out.append("%s: %s" % (where, message))
    if len(errors) > limit:
        out.append("... and %d more" % (len(errors) - limit))
    return out


def capability_problems(doc):
    """flags must equal the PMP_CAP_* bits of the named booleans (pmp.h)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("flags"), int):
        return []
    want = 0
    for name, bit in CAP_BITS.items():
        if doc.get(name) is True:
            want |= bit
    have = doc["flags"] & ((1 << 9) - 1)
    if have != want:
        return ["/flags: %d does not match the named booleans (they give %d)"
                % (doc["flags"], want)]
    return []


def load_schemas(schemas_dir, report):
    validators = {}
    checker = _format_checker()
    for op in OPERATIONS:
        for kind in ("request", "result"):
            path = os.path.join(schemas_dir, "%s.%s.json" % (op, kind))
            problems = []
            try:
                with open(path, encoding="utf-8") as f:
                    schema = parse_json(f.read())
                StrictValidator.check_schema(schema)
                for member in ("$id", "title", "description"):
                    if member not in schema:
                        problems.append("missing %s" % member)
                validators[(op, kind)] = StrictValidator(schema, format_checker=checker)
            except (OSError, ValueError) as e:
                problems.append(str(e))
            except jsonschema.exceptions.SchemaError as e:
                problems.append("not a valid draft 2020-12 schema: %s" % e.message)
            report.check("schema %s" % os.path.relpath(path), problems)
    return validators


def load_secrets(results_dir):
    path = os.path.join(results_dir, "secrets.txt")
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return [line.rstrip("\r\n") for line in f if line.rstrip("\r\n")]
    except FileNotFoundError:
        return []


def secret_problems(text, doc, secrets):
    """The secret, raw or after JSON unescaping, must not appear."""
    decoded = json.dumps(doc, ensure_ascii=False) if doc is not None else ""
    out = []
    for s in secrets:
        if s in text or s in decoded:
            shown = s[:2] + "*" * max(len(s) - 2, 1)
            out.append("contains a secret from secrets.txt (%s, %d characters)"
                       % (shown, len(s)))
    return out


def validate_file(path, op, kind, validators, secrets, report):
    problems = []
    doc = None
    validator = validators.get((op, kind))
    try:
        with open(path, "rb") as f:
            raw = f.read()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        report.check(path, ["cannot read as UTF-8: %s" % e])
        return False
    try:
        # The plugin takes empty request text as {}.
        doc = {} if kind == "request" and not text.strip() else parse_json(text)
    except ValueError as e:
        problems.append("not JSON: %s" % e)
    if doc is not None:
        if validator is None:
            problems.append("no schema %s.%s.json for operation %r" % (op, kind, op))
        else:
            problems += schema_problems(validator, doc)
        if kind == "result" and op == "capabilities":
            problems += capability_problems(doc)
    if kind == "result" and secrets:
        problems += secret_problems(text, doc, secrets)
    report.check(path, problems)
    return doc is not None


def check_results(results_dir, validators, report):
    secrets = load_secrets(results_dir)
    seen = {op: 0 for op in OPERATIONS}
    try:
        names = sorted(os.listdir(results_dir))
    except OSError as e:
        report.check("results directory %s" % results_dir, [str(e)])
        names = []
    for name in names:
        m = FILE_RE.match(name)
        if not m:
            continue
        op, kind = m.group("op"), m.group("kind")
        path = os.path.join(results_dir, name)
        validate_file(path, op, kind, validators, secrets, report)
        if kind == "result" and op in seen:
            seen[op] += 1
    for op in OPERATIONS:
        report.check("at least one %s result in %s" % (op, results_dir),
                     [] if seen[op] else ["no %s-<n>.result.json" % op])


def docs_blocks(docs_path):
    """Yields (operation, line number, text) of each ```json block under a
    '## <operation>' heading."""
    with open(docs_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    op = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            words = line[3:].split()
            op = words[0] if words and words[0] in OPERATIONS else None
        elif line.strip().startswith("```"):
            lang = line.strip()[3:].strip()
            start = i + 1
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                i += 1
            if lang == "json" and op is not None:
                yield op, start, "\n".join(lines[start:i])
        i += 1


def check_docs(docs_path, validators, report):
    try:
        blocks = list(docs_blocks(docs_path))
    except OSError as e:
        report.check("docs %s" % docs_path, [str(e)])
        return
    for op, line, text in blocks:
        what = "%s:%d (%s example)" % (docs_path, line, op)
        try:
            doc = parse_json(text)
        except ValueError as e:
            report.check(what, ["not JSON: %s" % e])
            continue
        kind = "result" if isinstance(doc, dict) and "operation" in doc else "request"
        what = "%s:%d (%s %s example)" % (docs_path, line, op, kind)
        validator = validators.get((op, kind))
        if validator is None:
            report.check(what, ["no schema %s.%s.json" % (op, kind)])
            continue
        problems = schema_problems(validator, doc)
        if kind == "result" and op == "capabilities":
            problems += capability_problems(doc)
        report.check(what, problems)


def main(argv):
    ap = argparse.ArgumentParser(
        description="Validate recorded plugin requests/results (and the examples in "
                    "docs/operations.md) against docs/schemas.")
    ap.add_argument("results_dir", metavar="RESULTS_DIR")
    ap.add_argument("schemas_dir", metavar="SCHEMAS_DIR")
    ap.add_argument("--docs", metavar="OPERATIONS_MD",
                    help="also validate the ```json examples of this file")
    ap.add_argument("-v", "--verbose", action="store_true", help="list passed checks too")
    args = ap.parse_args(argv)

    report = Report(args.verbose)
    validators = load_schemas(args.schemas_dir, report)
    check_results(args.results_dir, validators, report)
    if args.docs:
        check_docs(args.docs, validators, report)
    print("%d passed, %d failed" % (report.passed, report.failed))
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
