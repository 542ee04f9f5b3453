"""Derive docframe's compact built-in DocType definitions from Frappe's reference files.

Frappe's own DocType files (MIT licensed; a copy is in tests/fixtures/frappe-doctypes/) are the compatibility
reference: clients depend on the DocType names, fieldnames, types and options. This tool keeps
only that structure (no layout fields, descriptions or presentation keys) and writes one compact
file per DocType under src/docframe/doctypes/. Re-run it when the reference set changes:

    python tools/derive_builtin_doctypes.py tests/fixtures/frappe-doctypes
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BUILTIN = [
    "doctype", "docfield", "docperm", "user", "role", "has_role", "todo", "note", "file", "comment",
    "version", "api_request_log", "system_settings", "docshare", "user_permission", "error_log",
    "module_def", "deleted_document", "gender", "tag", "tag_link", "role_profile", "custom_field",
    "property_setter", "rq_job", "activity_log", "access_log", "webhook", "webhook_data", "webhook_header",
    "scheduled_job_type",
]
TOP_KEYS = [
    "name", "module", "autoname", "istable", "issingle", "is_submittable", "is_tree", "title_field",
    "search_fields", "sort_field", "sort_order", "track_changes", "track_seen", "allow_rename",
    "in_create", "read_only", "image_field", "nsm_parent_field", "naming_rule",
]
FIELD_KEYS = [
    "fieldname", "fieldtype", "label", "options", "reqd", "unique", "default", "permlevel",
    "search_index", "length", "precision", "non_negative", "set_only_once", "allow_on_submit",
    "no_copy", "fetch_from", "fetch_if_empty", "ignore_user_permissions", "ignore_xss_filter",
    "is_virtual", "read_only", "hidden", "in_list_view", "not_nullable",
]
LAYOUT = {"Section Break", "Column Break", "Tab Break", "HTML", "Button", "Fold", "Heading", "Image"}


def main(src: Path, dest: Path) -> None:
    for stem in BUILTIN:
        data = json.loads((src / f"{stem}.json").read_text())
        out = {k: data[k] for k in TOP_KEYS if data.get(k)}
        out["doctype"] = "DocType"
        out["fields"] = [
            {k: f[k] for k in FIELD_KEYS if f.get(k) not in (None, "", 0)}
            for f in data.get("fields", [])
            if f.get("fieldtype") not in LAYOUT
        ]
        out["permissions"] = [dict(p) for p in data.get("permissions", [])]
        for p in out["permissions"]:
            for k in ("doctype", "name", "parent", "parentfield", "parenttype", "idx"):
                p.pop(k, None)
        target = dest / stem / f"{stem}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(out, indent=1, sort_keys=False) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(__file__).resolve().parent.parent / "src" / "docframe" / "doctypes")
