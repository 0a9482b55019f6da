"""JSON Schema validation of ODPS and ODCS documents, with problems that name path and rule.

Schemas come from packages, never from copies in this repo:

* ODPS v1.0.0 — ``dataproduct/schemas/odps-1.0.0.schema.json`` shipped by the
  ``dataproduct-cli`` wheel (byte-identical to bitol-io/open-data-product-standard
  ``schema/odps-json-schema-v1.0.0.json``, Apache-2.0);
* ODCS v3.x — ``open_data_contract_standard/schema.json`` shipped by the
  ``open-data-contract-standard`` wheel (accepts apiVersion v3.0.0 … v3.2.0).
"""

import json
from functools import cache
from importlib import resources

import yaml
from jsonschema import Draft201909Validator, FormatChecker


class DescriptorError(ValueError):
    """A descriptor or contract was refused; ``problems`` lists every reason found.

    Each problem is a string ``"<path>: <rule>: <message>"``, e.g.
    ``"outputPorts[0].version: required: 'version' is a required property"``.
    """

    def __init__(self, item: str, problems: list[str]):
        self.item = item
        self.problems = problems
        super().__init__(f"{item}: " + "; ".join(problems))


@cache
def odps_schema() -> dict:
    """The ODPS v1.0.0 JSON Schema (dict), from the ``dataproduct-cli`` package."""
    text = resources.files("dataproduct").joinpath("schemas/odps-1.0.0.schema.json").read_text()
    return json.loads(text)


@cache
def odcs_schema() -> dict:
    """The ODCS JSON Schema (dict), from the ``open-data-contract-standard`` package."""
    text = resources.files("open_data_contract_standard").joinpath("schema.json").read_text()
    return json.loads(text)


def _path(error) -> str:
    """Render a jsonschema error path as ``a.b[0].c`` (``(root)`` for the document)."""
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def schema_problems(document, schema: dict) -> list[str]:
    """Every violation of ``schema`` by ``document`` as ``"path: rule: message"`` strings,
    sorted by path. An empty list means the document is valid. Formats (date, date-time,
    uri where a checker is installed) are checked too."""
    if not isinstance(document, dict):
        return [f"(root): type: the document must be a mapping, got {type(document).__name__}"]
    validator = Draft201909Validator(schema, format_checker=FormatChecker())
    problems = []
    for error in validator.iter_errors(document):
        leaves = _leaf_errors(error)
        for leaf in leaves:
            problems.append(f"{_path(leaf)}: {leaf.validator}: {leaf.message}")
    return sorted(set(problems))


def _leaf_errors(error) -> list:
    """For ``anyOf``/``oneOf``/``$ref`` wrappers, the most specific sub-errors."""
    if error.context:
        best = {}
        for sub in error.context:
            best.setdefault(sub.relative_schema_path[0] if sub.relative_schema_path else 0, [])
            best[sub.relative_schema_path[0] if sub.relative_schema_path else 0].append(sub)
        # the branch with the fewest errors is the one the author most likely meant
        branch = min(best.values(), key=len)
        return [leaf for sub in branch for leaf in _leaf_errors(sub)]
    return [error]


class _StringDatesLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates/timestamps as strings (so documents stay JSON)."""


_StringDatesLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str, item: str) -> dict:
    """Parse YAML ``text`` (dates kept as strings); DescriptorError naming ``item`` and the
    line if it is not YAML or not a mapping."""
    try:
        doc = yaml.load(text, Loader=_StringDatesLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(root)"
        raise DescriptorError(item, [f"{where}: yaml: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(doc, dict):
        raise DescriptorError(item, ["(root): type: the document must be a YAML mapping"])
    return doc


def dump_yaml(doc: dict) -> str:
    """YAML text of ``doc`` in the key order given (block style, UTF-8)."""
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False)
