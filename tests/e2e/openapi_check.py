#!/usr/bin/env python3
"""Calls a running Loupe and validates every answer against the OpenAPI
document it serves (/api/v1/openapi.json), so the document cannot drift
from the server.

  openapi_check.py BASE_URL TOKEN_FILE REPO_YAML < calls

Each line of `calls` is `STATUS METHOD PATH [BODY_FILE] [noauth]`: the
status expected, the request (PATH with its query string), a JSON body to
send, and `noauth` to send no token. For every call: the status must be the
expected one and documented for the operation, every query parameter must
be documented, and a JSON body must match the documented schema. At the end
every operation of the document must have been called at least once with a
2xx answer. Also checks that the served document is the repository's YAML.
Prints `ok:`/`FAIL:` lines; exit status 1 on any failure. Needs Debian's
python3-jsonschema and python3-yaml (/usr/bin/python3).
"""
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

import yaml
from jsonschema import Draft202012Validator, RefResolver

base, token_file, repo_yaml = sys.argv[1:4]
token = open(token_file).read().strip()
failures = 0


def fail(msg):
    global failures
    failures += 1
    print(f"FAIL: {msg}")


def call(method, path, body=None, auth=True):
    req = urllib.request.Request(base + path, method=method, data=body)
    if auth:
        req.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, res.headers.get("Content-Type", ""), res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


status, _, raw = call("GET", "/api/v1/openapi.json")
if status != 200:
    sys.exit(f"FAIL: GET /api/v1/openapi.json answered {status}")
doc = json.loads(raw)
if doc == yaml.safe_load(open(repo_yaml)):
    print("ok: the served document is the repository's openapi.yaml")
else:
    fail("the served document differs from the repository's openapi.yaml (YAML conversion?)")
Draft202012Validator.check_schema({"$defs": doc["components"]["schemas"]})
resolver = RefResolver.from_schema(doc)

# Path templates ("/api/v1/requests/{id}") as regular expressions.
templates = [(re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(p)) + "$"), p)
             for p in doc["paths"]]
called_ok = set()


def resolve(obj):
    while "$ref" in obj:
        obj = resolver.resolve(obj["$ref"])[1]
    return obj


for line in sys.stdin:
    words = line.split()
    if not words or words[0].startswith("#"):
        continue
    want, method, target = int(words[0]), words[1], words[2]
    body_file = next((w for w in words[3:] if w != "noauth"), None)
    body = open(body_file, "rb").read() if body_file else None
    name = f"{method} {target} -> {want}"
    url = urllib.parse.urlsplit(target)
    template = next((p for rx, p in templates if rx.match(url.path)), None)
    op = doc["paths"][template].get(method.lower()) if template else None
    if op is None:
        fail(f"{name}: not in the document")
        continue
    documented = {resolve(p)["name"] for p in op.get("parameters", []) if resolve(p)["in"] == "query"}
    for q in urllib.parse.parse_qs(url.query, keep_blank_values=True):
        if q not in documented:
            fail(f"{name}: query parameter '{q}' is not documented")
    status, ctype, raw = call(method, target, body, auth="noauth" not in words[3:])
    if status != want:
        fail(f"{name}: got {status}: {raw[:300]!r}")
        continue
    response = op["responses"].get(str(status))
    if response is None:
        fail(f"{name}: status {status} is not documented")
        continue
    response = resolve(response)
    content = response.get("content", {})
    media = ctype.split(";")[0].strip()
    if media not in content:
        fail(f"{name}: Content-Type {ctype} is not documented ({', '.join(content)})")
        continue
    if media == "application/json":
        schema = content[media]["schema"]
        errors = sorted(Draft202012Validator(schema, resolver=resolver).iter_errors(json.loads(raw)),
                        key=lambda e: list(e.absolute_path))
        if errors:
            for e in errors[:5]:
                fail(f"{name}: at {'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:300]}")
            continue
    if 200 <= status < 300:
        called_ok.add((method.lower(), template))
    print(f"ok: {name} matches the document")

for path, item in doc["paths"].items():
    for method in item:
        if (method, path) not in called_ok:
            fail(f"{method.upper()} {path}: documented but never answered 2xx in this test")

sys.exit(1 if failures else 0)
