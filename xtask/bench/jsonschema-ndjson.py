"""The Python `jsonschema` peer of `cargo xtask bench`: Draft 2020-12 with the format checker
validates every line of an NDJSON walk against the exported schema, collecting every error.

Usage: python jsonschema-ndjson.py SCHEMA.json WALK.ndjson
"""
import json
import sys

from jsonschema import Draft202012Validator

schema_path, walk_path = sys.argv[1:3]
with open(schema_path, encoding="utf-8") as f:
    schema = json.load(f)
validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
pages = sessions = invalid = 0
with open(walk_path, "rb") as f:
    for line in f:
        if not line.strip():
            continue
        page = json.loads(line)
        pages += 1
        sessions += len(page.get("results") or [])
        if list(validator.iter_errors(page)):
            invalid += 1
print(f"{pages} pages, {sessions} sessions, {invalid} invalid")
sys.exit(0 if invalid == 0 else 1)
