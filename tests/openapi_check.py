"""Validate an API answer against the documented OpenAPI schema (``/api/schema/``).

What Schemathesis' ``response_schema_conformance`` check does, in-process: the response
schema of ``method path status content-type`` with its ``$ref`` resolved and OpenAPI 3.0's
``nullable`` turned into JSON Schema, then :mod:`jsonschema` on the decoded body.
"""

import jsonschema


def _to_json_schema(node, components: dict):
    if isinstance(node, list):
        return [_to_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _to_json_schema(components[name], components)
    out = {k: _to_json_schema(v, components) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def documented(schema: dict, path: str, method: str, status: int, content_type: str) -> dict:
    """The JSON Schema of that response (KeyError when the status or type is undeclared)."""
    operation = schema["paths"][path][method.lower()]
    media = operation["responses"][str(status)]["content"][content_type]
    return _to_json_schema(media["schema"], schema["components"]["schemas"])


def assert_conforms(schema: dict, path: str, method: str, response) -> None:
    """Fail unless ``response`` (a DRF test response) has a declared status and content
    type and a JSON body valid against its documented schema."""
    content_type = response["Content-Type"].split(";")[0]
    body = documented(schema, path, method, response.status_code, content_type)
    jsonschema.validate(response.json(), body)
