"""Validation of API answers against the official OpenAPI description (a copy in fixtures/)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator

SPEC = json.loads((Path(__file__).parent / "fixtures" / "x-compliance-openapi.json").read_text())
_PROBLEM_TYPES: dict[str, str] = {
    type_: ref.rsplit("/", 1)[1]
    for type_, ref in SPEC["components"]["schemas"]["Problem"]["discriminator"]["mapping"].items()
}
_SUCCESS = {
    ("POST", "list"): "CreateComplianceJobResponse",
    ("GET", "list"): "Get2ComplianceJobsResponse",
    ("GET", "one"): "Get2ComplianceJobsIdResponse",
}


def validator(schema_name: str) -> OAS30Validator:
    """A validator for one component schema, with date-time and uri formats checked."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": SPEC["components"]}
    return OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)


def schema_for(method: str, path: str, status: int, body: dict[str, Any]) -> str:
    """The schema an answer must satisfy."""
    if status == 200:
        kind = "one" if re.search(r"/2/compliance/jobs/[^/]+$", path) else "list"
        return _SUCCESS[(method, kind)]
    if "errors" in body and "type" not in body:
        return "Error"
    return _PROBLEM_TYPES.get(body.get("type", ""), "Problem")


def assert_valid(method: str, path: str, status: int, body: Any) -> None:
    """Raise AssertionError listing every way the answer departs from the OpenAPI file."""
    name = schema_for(method, path, status, body)
    if name == "Error":
        problems = [
            e.message for item in body["errors"] for e in validator("Error").iter_errors(item)
        ]
    else:
        problems = [e.message for e in validator(name).iter_errors(body)]
        if name not in ("Problem",) and status != 200:
            problems += [e.message for e in validator("Problem").iter_errors(body)]
    assert not problems, f"{method} {path} -> {status} does not match {name}: {problems}"
