# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Check a finding's ECS line against Elastic's field list (tests/specs/ecs/fields.csv).

check(doc) lists what is wrong with one parsed line, [] when nothing is:
- every leaf outside `credwatch.*` is an ECS field, and every object on the way is a field set
  or a path to fields (no `credential.*`, no `tls.library`);
- its value has the field's type: keyword/text a string, long/integer a number without a
  fraction (not a boolean), float a number, boolean a boolean, date an RFC 3339 time, ip an
  address, object/flattened an object;
- an array only where ECS says the field is one (normalization "array"), and then of that type;
- the categorization fields hold ECS's allowed values, and each event.type is one ECS expects
  with each event.category (ECS "Categorization fields");
- credwatch's own contract for a finding: `ecs.version` is the list's version, `event.id` a
  UUID, `@timestamp`, `event.kind`, `event.action`, `rule.id` present.

Run as a program on files of JSON lines (or stdin): prints each problem, exits 1 if any.
"""
import csv
import ipaddress
import json
import os
import re
import sys

FIELDS_CSV = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "specs", "ecs",
                          "fields.csv")
CUSTOM = "credwatch"  # our own fields: anything goes under it

# ECS "Categorization fields" (reference for ECS 8.x/9.x): allowed values, and the event.type
# values expected with each event.category. fields.csv does not carry them.
KINDS = {"alert", "asset", "enrichment", "event", "metric", "state", "pipeline_error", "signal"}
CATEGORY_TYPES = {
    "api": {"access", "admin", "allowed", "change", "creation", "deletion", "denied", "end",
            "info", "start", "user"},
    "authentication": {"start", "end", "info"},
    "configuration": {"access", "change", "creation", "deletion", "info"},
    "database": {"access", "change", "info", "error"},
    "driver": {"change", "end", "info", "start"},
    "email": {"info"},
    "file": {"access", "change", "creation", "deletion", "info"},
    "host": {"access", "change", "end", "info", "start"},
    "iam": {"admin", "change", "creation", "deletion", "group", "info", "user"},
    "intrusion_detection": {"allowed", "denied", "info"},
    "library": {"start"},
    "malware": {"info"},
    "network": {"access", "allowed", "connection", "denied", "end", "info", "protocol", "start"},
    "package": {"access", "change", "deletion", "info", "installation", "start"},
    "process": {"access", "change", "end", "info", "start"},
    "registry": {"access", "change", "creation", "deletion"},
    "session": {"start", "end", "info"},
    "threat": {"indicator"},
    "vulnerability": {"info"},
}
TYPES = set().union(*CATEGORY_TYPES.values()) | {"device", "group", "user", "error"}
OUTCOMES = {"failure", "success", "unknown"}

RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")

_cache = {}


def load(path=FIELDS_CSV):
    """{field name: (type, normalization)}, the ECS version, and the set of object paths."""
    if path not in _cache:
        fields, version = {}, None
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                fields[row["Field"]] = (row["Type"], row["Normalization"])
                version = version or row["ECS_Version"]
        prefixes = {n.rsplit(".", i)[0] for n in fields for i in range(1, n.count(".") + 1)}
        _cache[path] = (fields, version, prefixes)
    return _cache[path]


def version(path=FIELDS_CSV):
    return load(path)[1]


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _type_ok(ftype, v):
    if ftype in ("keyword", "constant_keyword", "wildcard", "text", "match_only_text", "binary"):
        return isinstance(v, str)
    if ftype in ("long", "integer", "short", "byte"):
        return _is_int(v)
    if ftype == "unsigned_long":
        return _is_int(v) and v >= 0
    if ftype in ("float", "double", "half_float", "scaled_float"):
        return _is_int(v) or isinstance(v, float)
    if ftype == "boolean":
        return isinstance(v, bool)
    if ftype == "date":
        return isinstance(v, str) and RFC3339.fullmatch(v) is not None
    if ftype == "ip":
        try:
            ipaddress.ip_address(v)
            return True
        except (ValueError, TypeError):
            return False
    if ftype in ("object", "flattened"):
        return isinstance(v, dict)
    if ftype == "nested":
        return isinstance(v, list) and all(isinstance(e, dict) for e in v)
    if ftype == "geo_point":
        return isinstance(v, (dict, str, list))
    return False


def _walk(obj, prefix, fields, prefixes, errs):
    for k, v in obj.items():
        name = prefix + k
        if name == CUSTOM:
            continue
        if name in fields:
            ftype, norm = fields[name]
            if ftype in ("object", "flattened", "nested"):
                if not _type_ok(ftype, v):
                    errs.append(f"{name}: {ftype} field holds {json.dumps(v)[:80]}")
                continue
            values = v if isinstance(v, list) else [v]
            if isinstance(v, list) and "array" not in norm:
                errs.append(f"{name}: an array, but ECS's {name} is not one")
            for e in values:
                if not _type_ok(ftype, e):
                    errs.append(f"{name}: {json.dumps(e)[:80]} is not of ECS type {ftype}")
        elif isinstance(v, dict) and name in prefixes:
            _walk(v, name + ".", fields, prefixes, errs)
        else:
            errs.append(f"{name}: not an ECS field (custom fields go under {CUSTOM}.*)")


def _get(doc, path):
    for k in path.split("."):
        if not isinstance(doc, dict) or k not in doc:
            return None
        doc = doc[k]
    return doc


def _as_list(v):
    return v if isinstance(v, list) else [] if v is None else [v]


def _categorization(doc, errs):
    kind = _get(doc, "event.kind")
    if kind is not None and kind not in KINDS:
        errs.append(f"event.kind: {kind!r} is not an ECS value")
    cats, types = _as_list(_get(doc, "event.category")), _as_list(_get(doc, "event.type"))
    for c in cats:
        if c not in CATEGORY_TYPES:
            errs.append(f"event.category: {c!r} is not an ECS value")
    for t in types:
        if t not in TYPES:
            errs.append(f"event.type: {t!r} is not an ECS value")
        elif cats and not any(t in CATEGORY_TYPES.get(c, ()) for c in cats):
            errs.append(f"event.type: {t!r} is not expected with event.category {cats}")
    outcome = _get(doc, "event.outcome")
    if outcome is not None and outcome not in OUTCOMES:
        errs.append(f"event.outcome: {outcome!r} is not an ECS value")


def check(doc, path=FIELDS_CSV):
    """What is wrong with one finding (a parsed JSON object); [] when nothing."""
    fields, ver, prefixes = load(path)
    if not isinstance(doc, dict):
        return ["a finding is a JSON object"]
    errs = []
    _walk(doc, "", fields, prefixes, errs)
    _categorization(doc, errs)
    if _get(doc, "ecs.version") != ver:
        errs.append(f"ecs.version: {_get(doc, 'ecs.version')!r}, the field list is {ver!r}")
    eid = _get(doc, "event.id")
    if not isinstance(eid, str) or not UUID.fullmatch(eid):
        errs.append(f"event.id: {eid!r} is not a UUID")
    for must in ("@timestamp", "event.kind", "event.action", "rule.id"):
        if _get(doc, must) is None:
            errs.append(f"{must}: missing")
    return errs


def main(argv):
    bad = 0
    for name in argv[1:] or ["-"]:
        f = sys.stdin if name == "-" else open(name, encoding="utf-8")
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            for e in check(json.loads(line)):
                print(f"{name}:{n}: {e}")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
