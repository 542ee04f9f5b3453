"""DocType definition rules (spec 1.6), checked without a database."""

from __future__ import annotations

from typing import Any

import pytest

from docframe import errors
from docframe.meta import validate as rules
from docframe.meta.registry import MetaRegistry, builtin_doctype_root
from docframe.meta.schema import Meta

REGISTRY = MetaRegistry.from_folders([("docframe", builtin_doctype_root().parent, builtin_doctype_root())])


def lookup(name: str) -> Meta | None:
    for known in REGISTRY.standard_names:
        if known.lower() == name.lower():
            return REGISTRY.get(known)
    return None


def _fields(*rows: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"idx": i, **row} for i, row in enumerate(rows, start=1)]


def _check(fields: list[dict[str, Any]], **dt: Any) -> dict[str, Any]:
    definition = {"name": "Gadget", **dt}
    rules.check_fieldnames("Gadget", fields)
    rules.check_fields(definition, fields, lookup)
    rules.check_properties(definition, fields)
    return definition


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("A" * 62, f"Doctype name is limited to 61 characters ({'A' * 62})"),
        (" Gadget", "DocType's name should not start or end with whitespace"),
        ("Gadget\n", "DocType's name should not start or end with whitespace"),
        ("1Gadget", "A DocType's name should start with a letter"),
        ("_Gadget", "A DocType's name should start with a letter"),
        ("Gad/get", "A DocType's name should start with a letter"),
        ("Gadgét", "A DocType's name should start with a letter"),
    ],
)
def test_bad_doctype_names_are_name_errors(name: str, message: str) -> None:
    with pytest.raises(errors.NameError) as raised:
        rules.check_name(name)
    assert str(raised.value).startswith(message)
    assert raised.value.http_status == 409


@pytest.mark.parametrize("name", ["Gadget", "Sales Invoice Item", "my_type-2", "A" * 61])
def test_good_doctype_names_pass(name: str) -> None:
    rules.check_name(name)


def test_fieldnames_are_derived_scrubbed_and_lowered() -> None:
    fields = _fields(
        {"label": "Is Active?", "fieldtype": "Check"},
        {"label": "Details", "fieldtype": "Section Break"},
        {"fieldtype": "Column Break"},
        {"fieldname": "Serial.No(1)", "fieldtype": "Data"},
        {"label": "Owner", "fieldtype": "Data"},
    )
    rules.check_fieldnames("Gadget", fields)
    assert [f["fieldname"] for f in fields] == [
        "is_active",
        "details_section",
        "column_break_3",
        "serialno1",
        "owner1",
    ]


@pytest.mark.parametrize(
    ("row", "error", "message"),
    [
        ({"fieldname": "name"}, rules.InvalidFieldNameError, "Fieldname name is restricted"),
        ({"fieldname": "modified_by"}, rules.InvalidFieldNameError, "Fieldname modified_by is restricted"),
        ({"fieldname": "idx"}, rules.InvalidFieldNameError, "Fieldname idx is restricted"),
        ({"fieldname": "doctype"}, errors.ValidationError,
         "<strong>Gadget</strong>: fieldname cannot be set to reserved keyword <strong>doctype</strong>"),
        ({"fieldname": "my field"}, errors.InvalidColumnName,
         'Fieldname <strong>my field</strong> cannot have special characters like " "'),
        ({"fieldname": "a-b+c"}, errors.InvalidColumnName, 'cannot have special characters like "-", "+"'),
        ({"fieldname": "x" * 65}, errors.ValidationError, "Fieldname is limited to 64 characters"),
        ({"fieldname": "é" * 40}, errors.ValidationError, "Fieldname is limited to 63 bytes"),
        ({"fieldtype": "Data"}, errors.ValidationError, "Row #1: Fieldname is required"),
    ],
)  # fmt: skip
def test_bad_fieldnames(row: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error) as raised:
        rules.check_fieldnames("Gadget", _fields(row))
    assert message in str(raised.value)


def test_duplicate_fieldnames_name_every_row() -> None:
    fields = _fields({"fieldname": "a"}, {"fieldname": "b"}, {"fieldname": "A"})
    with pytest.raises(rules.UniqueFieldnameError) as raised:
        rules.check_fieldnames("Gadget", fields)
    assert str(raised.value) == "Gadget: Fieldname a appears multiple times in rows 1, 3"


@pytest.mark.parametrize(
    ("row", "error", "message"),
    [
        ({"fieldname": "ref", "fieldtype": "Link", "label": "Ref"}, rules.DoctypeLinkError,
         "Gadget: Options required for Link or Table type field Ref in row 1"),
        ({"fieldname": "rows", "fieldtype": "Table"}, rules.DoctypeLinkError,
         "Gadget: Options required for Link or Table type field None in row 1"),
        ({"fieldname": "ref", "fieldtype": "Link", "options": "Nope", "label": "Ref"},
         rules.WrongOptionsDoctypeLinkError, "Gadget: Options must be a valid DocType for field Ref in row 1"),
        ({"fieldname": "rows", "fieldtype": "Table", "options": "ToDo"}, errors.ValidationError,
         "Option <strong>ToDo</strong> for field <strong>rows</strong> is not a child table"),
        ({"fieldname": "sec", "fieldtype": "Section Break", "reqd": 1, "label": "Sec"}, rules.IllegalMandatoryError,
         "Gadget: Field Sec of type Section Break cannot be mandatory"),
        ({"fieldname": "x", "fieldtype": "Data", "reqd": 1, "hidden": 1, "label": "X"},
         rules.HiddenAndMandatoryWithoutDefaultError,
         "Gadget: Field X in row 1 cannot be hidden and mandatory without default"),
        ({"fieldname": "t", "fieldtype": "Text", "unique": 1, "label": "T"}, rules.NonUniqueError,
         "Gadget: Fieldtype Text for T cannot be unique"),
        ({"fieldname": "t", "fieldtype": "Small Text", "search_index": 1, "label": "T"}, rules.CannotIndexedError,
         "Gadget:Fieldtype Small Text for T cannot be indexed"),
        ({"fieldname": "f", "fieldtype": "Check", "default": "2"}, errors.ValidationError,
         "Default for 'Check' type of field <strong>f</strong> must be either '0' or '1'"),
        ({"fieldname": "s", "fieldtype": "Select", "options": "A\nB", "default": "C"}, errors.ValidationError,
         "Default value for <strong>s</strong> must be in the list of options."),
        ({"fieldname": "p", "fieldtype": "Float", "precision": "8"}, errors.ValidationError,
         "Precision should be between 1 and 6"),
        ({"fieldname": "r", "fieldtype": "Rating", "options": "12"}, errors.ValidationError,
         "Options for Rating field can range from 3 to 10"),
        ({"fieldname": "d", "fieldtype": "Data", "length": 2000}, errors.ValidationError,
         "Length of d should be between 1 and 1000"),
        ({"fieldname": "d", "fieldtype": "Data", "options": "Colour", "label": "D"}, errors.ValidationError,
         "<strong>D</strong> is an invalid Data field."),
        ({"fieldname": "d", "fieldtype": "Data", "depends_on": "eval:doc.x == 1"}, errors.ValidationError, None),
        ({"fieldname": "d", "fieldtype": "Data", "mandatory_depends_on": "status = 'Open'"}, errors.ValidationError,
         "Invalid Mandatory Depends On condition"),
        ({"fieldname": "dl", "fieldtype": "Dynamic Link", "options": "missing"}, errors.ValidationError,
         "Options 'Dynamic Link' type of field must point to another Link Field with options as 'DocType'"),
        ({"fieldname": "h", "fieldtype": "HTML", "in_list_view": 1}, errors.ValidationError,
         "'In List View' not allowed for type HTML in row 1"),
    ],
)  # fmt: skip
def test_field_rules(row: dict[str, Any], error: type[Exception], message: str | None) -> None:
    if message is None:  # a comparison is not an assignment
        _check(_fields(row))
        return
    with pytest.raises(error) as raised:
        _check(_fields(row))
    assert str(raised.value) == message or message in str(raised.value)


def test_link_options_get_the_stored_spelling_and_select_options_are_trimmed() -> None:
    fields = _fields(
        {"fieldname": "owner_user", "fieldtype": "Link", "options": "user"},
        {"fieldname": "roles", "fieldtype": "Table", "options": "has role"},
        {"fieldname": "kind", "fieldtype": "Select", "options": "\n A \n\n B"},
        {"fieldname": "code", "fieldtype": "Data", "unique": 1, "search_index": 1},
        {"fieldname": "flag", "fieldtype": "Check"},
    )
    _check(fields)
    by_name = {f["fieldname"]: f for f in fields}
    assert by_name["owner_user"]["options"] == "User"
    assert by_name["roles"]["options"] == "Has Role"
    assert by_name["kind"]["options"] == "\nA\nB"
    assert by_name["code"]["search_index"] == 0
    assert by_name["flag"]["default"] == "0"


def test_singles_drop_unique_and_index_and_flags() -> None:
    dt: dict[str, Any] = {"name": "Gadget Settings", "issingle": 1, "is_submittable": 1, "istable": 1}
    fields = _fields({"fieldname": "code", "fieldtype": "Data", "unique": 1})
    rules.prepare(dt, fields, [])
    rules.check_fieldnames("Gadget Settings", fields)
    rules.check_fields(dt, fields, lookup)
    assert (dt["is_submittable"], dt["istable"], fields[0]["unique"]) == (0, 0, 0)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"title_field": "nope"}, "Title field must be a valid fieldname"),
        ({"sort_field": "nope desc"}, "Sort field nope must be a valid fieldname"),
        ({"image_field": "title"}, "Image field must be of type Attach Image"),
        ({"timeline_field": "title"}, "Timeline field must be a Link or Dynamic Link"),
        ({"search_fields": "title, nope"}, "Search field nope is not valid"),
    ],
)
def test_properties_that_name_fields(props: dict[str, Any], message: str) -> None:
    with pytest.raises(errors.ValidationError) as raised:
        _check(_fields({"fieldname": "title", "fieldtype": "Data"}), **props)
    assert str(raised.value) == message


def test_good_properties_pass() -> None:
    _check(
        _fields({"fieldname": "title", "fieldtype": "Data"}, {"fieldname": "user", "fieldtype": "Link", "options": "User"}),
        title_field="title", sort_field="modified desc, title asc", search_fields="title,user", timeline_field="user",
    )  # fmt: skip


def test_autoname_field_forces_unique_and_naming_series_is_detected() -> None:
    dt: dict[str, Any] = {"autoname": "field:code"}
    fields = _fields({"fieldname": "code", "fieldtype": "Data", "search_index": 1})
    rules.check_autoname(dt, fields)
    assert fields[0]["unique"] == 1 and fields[0]["search_index"] == 0
    with pytest.raises(errors.ValidationError, match="Invalid fieldname 'nope' in autoname"):
        rules.check_autoname({"autoname": "field:nope"}, fields)
    series: dict[str, Any] = {}
    rules.check_autoname(series, _fields({"fieldname": "naming_series", "fieldtype": "Select"}))
    assert series["autoname"] == "naming_series:"
    assert rules.series_prefix("GAD-.####") == "GAD-" and rules.series_prefix("hash") is None


def test_framework_fields_for_submittable_and_tree() -> None:
    dt: dict[str, Any] = {"name": "Area", "is_submittable": 1, "is_tree": 1}
    extra = rules.framework_fields(dt, [])
    names = [f["fieldname"] for f in extra]
    assert names == ["amended_from", "lft", "rgt", "is_group", "old_parent", "parent_area"]
    assert dt["nsm_parent_field"] == "parent_area"
    assert extra[0]["options"] == "Area" and extra[0]["read_only"] == 1


def _perm(**rights: Any) -> dict[str, Any]:
    return {"role": "Sales User", "permlevel": 0, "idx": 1, **rights}


@pytest.mark.parametrize(
    ("rows", "dt", "message"),
    [
        ([_perm(report=1)], {}, "No basic permissions set"),
        ([_perm(read=1), {**_perm(read=1), "idx": 2}], {}, "Only one rule allowed with the same Role, Level and If Owner"),
        ([_perm(read=1, write=1, cancel=1)], {"is_submittable": 1}, "Cannot set Cancel without Submit"),
        ([_perm(read=1, submit=1)], {"is_submittable": 1}, "Cannot set Submit, Cancel, Amend without Write"),
        ([_perm(read=1, write=1, submit=1)], {}, "Cannot set Assign Submit if not Submittable"),
        ([_perm(read=1, create=1, **{"import": 1})], {}, "Cannot set import as Gadget is not importable"),
        ([_perm(read=1, **{"import": 1})], {"allow_import": 1}, "Cannot set Import without Create"),
        ([{**_perm(read=1), "permlevel": 1}], {}, "Permission at level 0 must be set before higher levels are set"),
    ],
)  # fmt: skip
def test_permission_rules(rows: list[dict[str, Any]], dt: dict[str, Any], message: str) -> None:
    with pytest.raises(errors.ValidationError) as raised:
        rules.check_permissions({"name": "Gadget", **dt}, rows)
    assert str(
        raised.value
    ) == f"For Sales User at level {rows[-1]['permlevel']} in Gadget in row {rows[-1]['idx']}: {message}" or (
        message in str(raised.value)
    )


def test_higher_levels_lose_create_and_singles_lose_report() -> None:
    rows = [_perm(read=1, write=1, create=1), {**_perm(read=1, create=1), "permlevel": 1, "idx": 2}]
    rules.check_permissions({"name": "Gadget"}, rows)
    assert rows[1]["create"] == 0 and rows[0]["create"] == 1
    single = [_perm(read=1, write=1, report=1, export=1)]
    notes = rules.check_permissions({"name": "Gadget", "issingle": 1}, single)
    assert notes == ["Report cannot be set for Single types"] and single[0]["report"] == 0
