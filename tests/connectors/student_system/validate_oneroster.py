#!/usr/bin/python3
"""Validates OneRoster 1.2 payloads against the official rostering OpenAPI
(components.schemas, JSON Schema draft 4 with $ref into the document).

usage: validate_oneroster.py OPENAPI.json PAYLOADS.json

PAYLOADS.json is an array of [schema_name, payload] pairs, e.g.
["SingleUserDType", {"user": {...}}]. The official object schemas are closed
(additionalProperties: false), so an invented field fails. Prints
"N payloads, M errors"; exit 0 when every payload validates."""
import json
import sys

import jsonschema


def main():
    spec = json.load(open(sys.argv[1], encoding="utf-8"))
    payloads = json.load(open(sys.argv[2], encoding="utf-8"))
    resolver = jsonschema.RefResolver.from_schema(spec)
    errors = 0
    for name, payload in payloads:
        schema = {"$ref": "#/components/schemas/" + name}
        validator = jsonschema.Draft4Validator(schema, resolver=resolver,
                                               format_checker=jsonschema.FormatChecker())
        for e in validator.iter_errors(payload):
            errors += 1
            if errors <= 10:
                print(f"{name}: {'/'.join(str(p) for p in e.absolute_path)}: {e.message}")
    print(f"{len(payloads)} payloads, {errors} errors")
    sys.exit(0 if errors == 0 else 1)


if __name__ == "__main__":
    main()
