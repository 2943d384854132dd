# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Check an OCSF event against the OCSF schema (tests/specs/ocsf-schema/, as published).

The event's class comes from class_uid (category uid x 1000 + the class's uid). A class is its
file's attributes over those of the class it `extends` (data_security_finding -> finding ->
base_event), with the profiles it `$include`s; each attribute is the dictionary's entry
(type, is_array, enum) under the class's (requirement, more enum values, its own type). An
attribute whose type names an object is checked the same way against objects/NAME.json and
the objects it extends. check(event) lists what is wrong, [] when nothing is:
- a required attribute missing; an attribute the class or object does not have; one that a
  profile adds while metadata.profiles does not name that profile; a deprecated one;
- a value of the wrong type: integer_t/long_t an integer, float_t a number, string_t a string
  (and the regex, maximum length or range of a type built on it: ip_t, uuid_t, port_t,
  datetime_t...), boolean_t a boolean, an object an object of its own attributes, an array
  where the dictionary says is_array, and of that type;
- an enum value the schema does not list, a sibling caption that is not its id's (severity
  "High" with severity_id 4), and constraints (at_least_one, just_one) not met;
- class_uid, category_uid and type_uid that do not agree; metadata.version not the schema's.

Run as a program on files of JSON lines (or stdin): prints each problem, exits 1 if any.
"""
import copy
import glob
import json
import os
import re
import sys

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "specs", "ocsf-schema")


def _merge(base, over):
    """over's keys on top of base's; objects (enum, ...) merged key by key."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


class Schema:
    def __init__(self, root=SCHEMA):
        self.root = root
        with open(os.path.join(root, "dictionary.json")) as f:
            d = json.load(f)
        self.dictionary = d["attributes"]
        self.types = d["types"]["attributes"]
        with open(os.path.join(root, "version.json")) as f:
            self.version = json.load(f)["version"]
        with open(os.path.join(root, "categories.json")) as f:
            self.categories = json.load(f)["attributes"]
        self.class_files = {}
        for p in glob.glob(os.path.join(root, "events", "**", "*.json"), recursive=True):
            with open(p) as f:
                c = json.load(f)
            self.class_files[c["name"]] = c
        self._objects = {}
        self._classes = {}

    # -- resolving classes and objects into {attribute: definition}, constraints ---------------
    def _own(self, spec):
        """A class's or object's own attributes, with its $include'd profiles' (each tagged
        with the profile it comes from unless the file itself says otherwise)."""
        attrs = {}
        for inc in spec.get("attributes", {}).get("$include", []):
            with open(os.path.join(self.root, inc)) as f:
                p = json.load(f)
            tag = p["name"] if p.get("meta") == "profile" else None
            for k, v in p.get("attributes", {}).items():
                attrs[k] = _merge(attrs.get(k, {}), dict(v, profile=tag))
        for k, v in spec.get("attributes", {}).items():
            if k != "$include":
                attrs[k] = _merge(attrs.get(k, {}), v)
        return attrs

    def _resolve(self, spec, parent):
        """Attributes and constraints over the parent's: a constraint of the same kind
        (at_least_one, just_one) replaces the parent's, as in the schema's compiled form."""
        attrs, constraints = parent if parent else ({}, {})
        attrs = copy.deepcopy(attrs)
        for k, v in self._own(spec).items():
            attrs[k] = _merge(attrs.get(k, {}), v)
        return attrs, dict(constraints, **spec.get("constraints", {}))

    def _with_dictionary(self, attrs):
        out = {}
        for k, v in attrs.items():
            base = self.dictionary.get(k)
            out[k] = _merge(base, v) if base else dict(v, unknown_to_dictionary=True)
        return out

    def object(self, name):
        if name not in self._objects:
            with open(os.path.join(self.root, "objects", name + ".json")) as f:
                spec = json.load(f)
            parent = None
            if spec.get("extends"):
                parent = self.object(spec["extends"])
            attrs, cons = self._resolve(spec, parent)
            self._objects[name] = (self._with_dictionary(attrs), cons)
        return self._objects[name]

    def _class(self, name):
        if name not in self._classes:
            spec = self.class_files[name]
            parent = self._class(spec["extends"]) if spec.get("extends") else None
            attrs, cons = self._resolve(spec, parent and parent[:2])
            category = spec.get("category") or (parent[2] if parent else None)
            self._classes[name] = (attrs, cons, category)
        return self._classes[name]

    def event_class(self, class_uid):
        """(name, attributes, constraints, category uid) of the class with that uid."""
        for name, spec in self.class_files.items():
            if "uid" not in spec:
                continue
            attrs, cons, cat = self._class(name)
            cat_uid = self.categories.get(cat, {}).get("uid", 0)
            if cat_uid * 1000 + spec["uid"] == class_uid:
                return name, self._classification(attrs, spec, cat, class_uid), cons, cat_uid
        return None

    def _classification(self, attrs, spec, cat, class_uid):
        """The class's attributes; class_uid, category_uid and type_uid enumerate this class's
        own values, as the schema's compiled form does (the base event's say 0 only)."""
        attrs = self._with_dictionary(attrs)
        caption = spec["caption"]
        attrs["class_uid"]["enum"] = {str(class_uid): {"caption": caption}}
        attrs["category_uid"]["enum"] = {
            str(self.categories[cat]["uid"]): {"caption": self.categories[cat]["caption"]}}
        attrs["type_uid"]["enum"] = {
            str(class_uid * 100 + int(a)): {"caption": f"{caption}: {e['caption']}"}
            for a, e in attrs["activity_id"].get("enum", {}).items()}
        return attrs

    # -- checking -----------------------------------------------------------------------------
    def _scalar(self, tname, v, path, errs):
        """A value of a dictionary type (string_t, port_t, ...)."""
        t = self.types.get(tname)
        if t is None:
            errs.append(f"{path}: unknown type {tname}")
            return
        base = t.get("type")
        if base:
            self._scalar(base, v, path, errs)
            if errs and errs[-1].startswith(path + ":"):
                return
        ok = {
            "integer_t": lambda x: isinstance(x, int) and not isinstance(x, bool),
            "long_t": lambda x: isinstance(x, int) and not isinstance(x, bool),
            "float_t": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
            "string_t": lambda x: isinstance(x, str),
            "boolean_t": lambda x: isinstance(x, bool),
            "json_t": lambda x: True,
        }.get(tname)
        if ok and not ok(v):
            errs.append(f"{path}: {json.dumps(v)[:80]} is not {tname}")
            return
        if "regex" in t and not re.fullmatch(t["regex"], v):
            errs.append(f"{path}: {v!r} does not match {tname}")
        if "max_len" in t and len(v) > t["max_len"]:
            errs.append(f"{path}: longer than {tname}'s {t['max_len']}")
        if "range" in t and not t["range"][0] <= v <= t["range"][1]:
            errs.append(f"{path}: {v} is outside {tname}'s range {t['range']}")
        if "values" in t and v not in t["values"]:
            errs.append(f"{path}: {v!r} is not one of {t['values']}")

    def _value(self, a, v, path, profiles, errs):
        tname = a.get("type")
        if tname == "object":
            if not isinstance(v, dict):
                errs.append(f"{path}: not an object")
        elif tname in self.types:
            self._scalar(tname, v, path, errs)
        elif tname:
            if isinstance(v, dict):
                attrs, cons = self.object(tname)
                self._attributes(v, attrs, cons, path, profiles, errs)
            else:
                errs.append(f"{path}: not an object ({tname})")
        if "enum" in a and not isinstance(v, (dict, list)) and str(v) not in a["enum"]:
            errs.append(f"{path}: {v!r} is not one of {sorted(a['enum'], key=str)}")

    def _attributes(self, obj, attrs, constraints, path, profiles, errs):
        pre = path + "." if path else ""
        for k, a in attrs.items():
            on = a.get("profile") is None or a.get("profile") in profiles
            if a.get("requirement") == "required" and on and k not in obj:
                errs.append(f"{pre}{k}: required, missing")
        for k, v in obj.items():
            a = attrs.get(k)
            if a is None or a.get("unknown_to_dictionary"):
                errs.append(f"{pre}{k}: no such attribute")
                continue
            if a.get("profile") is not None and a["profile"] not in profiles:
                errs.append(f"{pre}{k}: of profile {a['profile']}, not in metadata.profiles")
            if "@deprecated" in a:
                errs.append(f"{pre}{k}: deprecated ({a['@deprecated'].get('message', '')})")
            if a.get("is_array"):
                if not isinstance(v, list):
                    errs.append(f"{pre}{k}: not an array")
                    continue
                for i, e in enumerate(v):
                    self._value(a, e, f"{pre}{k}[{i}]", profiles, errs)
            elif isinstance(v, list):
                errs.append(f"{pre}{k}: an array, but not one in the schema")
            else:
                self._value(a, v, pre + k, profiles, errs)
            sib = a.get("sibling")
            if sib and "enum" in a and sib in obj and str(v) != "99":
                want = a["enum"].get(str(v), {}).get("caption")
                if want is not None and obj[sib] != want:
                    errs.append(f"{pre}{sib}: {obj[sib]!r}, the caption of {k} {v} is {want!r}")
        names = constraints.get("at_least_one")
        if names and not any(n in obj for n in names):
            errs.append(f"{path or 'event'}: none of {names} (at_least_one)")
        names = constraints.get("just_one")
        if names and sum(n in obj for n in names) != 1:
            errs.append(f"{path or 'event'}: not exactly one of {names} (just_one)")

    def check(self, event):
        """What is wrong with one OCSF event (a parsed JSON object); [] when nothing."""
        if not isinstance(event, dict):
            return ["an event is a JSON object"]
        found = self.event_class(event.get("class_uid"))
        if not found:
            return [f"class_uid: {event.get('class_uid')!r} is no class of the schema"]
        name, attrs, cons, cat_uid = found
        errs = []
        profiles = set(event.get("metadata", {}).get("profiles", []) or [])
        self._attributes(event, attrs, cons, "", profiles, errs)
        if event.get("category_uid") != cat_uid:
            errs.append(f"category_uid: {event.get('category_uid')!r}, class {name} is in {cat_uid}")
        act = event.get("activity_id")
        if isinstance(act, int) and event.get("type_uid") != event["class_uid"] * 100 + act:
            errs.append(f"type_uid: {event.get('type_uid')!r} is not class_uid * 100 + activity_id")
        if event.get("metadata", {}).get("version") != self.version:
            errs.append(f"metadata.version: {event.get('metadata', {}).get('version')!r}, "
                        f"the schema is {self.version!r}")
        return errs


_schema = None


def check(event):
    global _schema
    if _schema is None:
        _schema = Schema()
    return _schema.check(event)


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
