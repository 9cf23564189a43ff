#!/usr/bin/env python3
"""Validates an OpenAPI document (openapi-spec-validator) and prints its operations, one
`METHOD /path` per line (followed by ` public` for operations that need no credentials), for
the route test to call.

Usage: openapi_check.py FILE
"""
import sys

import yaml
from openapi_spec_validator import validate

with open(sys.argv[1]) as f:
    document = yaml.safe_load(f)
validate(document)
for path, item in document["paths"].items():
    for method in item:
        if method in ("get", "post", "put", "delete", "patch"):
            public = item[method].get("security") == []
            print(method.upper(), path, *(["public"] if public else []))
