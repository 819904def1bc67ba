#!/usr/bin/python3
"""Validates a JSON array of FREG person documents against the
Folkeregisterperson schema of Skatteetaten's OpenAPI document.

usage: validate_freg_json.py OPENAPI.yaml EXTRACT.json

Object schemas are closed (additionalProperties: false) so that a misspelt
or invented field fails, which the OpenAPI document alone would allow.
Exit 0 when every document validates, 1 with the first errors otherwise."""
import json
import sys

import jsonschema
import yaml

PERSON = "folkeregisteret.tilgjengeliggjoering.person.v1.Folkeregisterperson"


def close(node):
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        for v in node.values():
            close(v)
    elif isinstance(node, list):
        for v in node:
            close(v)


def main():
    spec = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    close(schemas)
    root = {"$ref": "#/components/schemas/" + PERSON, "components": {"schemas": schemas}}
    validator = jsonschema.Draft7Validator(root)
    docs = json.load(open(sys.argv[2], encoding="utf-8"))
    bad = 0
    for i, doc in enumerate(docs):
        for err in validator.iter_errors(doc):
            bad += 1
            if bad <= 10:
                print(f"document {i + 1}: {'/'.join(map(str, err.path))}: {err.message}")
    print(f"{len(docs)} documents, {bad} errors")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
