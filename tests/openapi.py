"""Validation of API answers against the official OpenAPI descriptions (copies in fixtures/).

Two versions: 2.159 (the Cloud Storage flow, ``x-compliance-openapi.json``) and 2.168
(the byte-path flow: cancel, upload and download on the API host). Callers that name no
version validate against 2.159; :func:`spec_version` picks the one of an emulator.

A successful answer is validated only against the operation its version describes: a 200
to an operation the version does not have (``DELETE`` of a job, or an upload on the API
host, in 2.159) is itself a departure, never checked against another operation's schema.
Error answers are checked against the version's shared ``Problem`` / ``Error`` schemas.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator

FIXTURES = Path(__file__).parent / "fixtures"
SPEC_FILES = {
    "2.159": FIXTURES / "x-compliance-openapi.json",
    "2.168": FIXTURES / "x-compliance-openapi-2.168.json",
}
SPECS: dict[str, dict[str, Any]] = {
    version: json.loads(path.read_text()) for version, path in SPEC_FILES.items()
}
SPEC = SPECS["2.159"]
_SUCCESS = {
    ("POST", "list"): "CreateComplianceJobResponse",
    ("GET", "list"): "Get2ComplianceJobsResponse",
    ("GET", "one"): "Get2ComplianceJobsIdResponse",
    ("DELETE", "one"): "DeleteComplianceJobsByIdResponse",
    ("PUT", "upload"): "UploadComplianceJobSubmissionResponse",
}
_TEMPLATES = {
    "list": "/2/compliance/jobs",
    "one": "/2/compliance/jobs/{id}",
    "upload": "/2/compliance/jobs/{id}/upload",
}


def spec_version(emulator: Any) -> str:
    """The OpenAPI version an emulator's answers follow: 2.168 (byte-path flow) or 2.159."""
    return "2.168" if emulator.config.flow == "bytepath" else "2.159"


def problem_types(version: str = "2.159") -> dict[str, str]:
    """Problem ``type`` URI to the name of its schema, in one version of the description."""
    mapping = SPECS[version]["components"]["schemas"]["Problem"]["discriminator"]["mapping"]
    return {type_: ref.rsplit("/", 1)[1] for type_, ref in mapping.items()}


@cache
def validator(schema_name: str, version: str = "2.159") -> OAS30Validator:
    """A validator for one component schema, with date-time and uri formats checked."""
    components = SPECS[version]["components"]
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": components}
    return OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)


def schema_for(
    method: str, path: str, status: int, body: dict[str, Any], version: str = "2.159"
) -> str:
    """The schema an answer must satisfy; AssertionError for a 200 to an operation the
    version does not describe (such as ``DELETE /2/compliance/jobs/{id}`` in 2.159)."""
    if status == 200:
        if re.search(r"/2/compliance/jobs/[^/]+/upload$", path):
            kind = "upload"
        elif re.search(r"/2/compliance/jobs/[^/]+$", path):
            kind = "one"
        else:
            kind = "list"
        operations = SPECS[version]["paths"].get(_TEMPLATES[kind], {})
        # 2.159 has no cancel or upload: a 200 to one is no answer the description allows.
        assert method.lower() in operations, (
            f"{method} {path} -> {status}: OpenAPI {version} has no such operation, so no "
            "successful answer to it is valid"
        )
        return _SUCCESS[(method, kind)]
    if "errors" in body and "type" not in body:
        return "Error"
    return problem_types(version).get(body.get("type", ""), "Problem")


def assert_valid(method: str, path: str, status: int, body: Any, version: str = "2.159") -> None:
    """Raise AssertionError listing every way the answer departs from the OpenAPI file."""
    name = schema_for(method, path, status, body, version)
    if name == "Error":
        problems = [
            e.message
            for item in body["errors"]
            for e in validator("Error", version).iter_errors(item)
        ]
    else:
        problems = [e.message for e in validator(name, version).iter_errors(body)]
        if name not in ("Problem",) and status != 200:
            problems += [e.message for e in validator("Problem", version).iter_errors(body)]
    assert not problems, (
        f"{method} {path} -> {status} does not match {name} ({version}): {problems}"
    )
