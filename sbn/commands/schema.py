"""`sbn schema`: the JSON Schema (draft-07) of the input files."""

from __future__ import annotations

import json
import sys
from typing import Any

from sbn.errors import ExitCode

SCHEMA_ID = "https://sbn.dev/schema/sbn.schema.json"


def input_schema() -> dict[str, Any]:
    """Draft-07 JSON Schema of an input file, generated from the models."""
    from sbn.model import Document

    schema = Document.model_json_schema(ref_template="#/definitions/{model}")
    definitions = schema.pop("$defs", {})
    result: dict[str, Any] = {"$schema": "http://json-schema.org/draft-07/schema#", "$id": SCHEMA_ID}
    result.update(schema)
    result["definitions"] = definitions
    return _clean(result)


def _clean(node: Any) -> Any:
    """Drop pydantic's auto-generated titles on properties; keep descriptions."""
    if isinstance(node, dict):
        cleaned = {key: _clean(value) for key, value in node.items()}
        if "properties" in cleaned:
            for prop in cleaned["properties"].values():
                if isinstance(prop, dict):
                    prop.pop("title", None)
        return cleaned
    if isinstance(node, list):
        return [_clean(item) for item in node]
    return node


def render_schema() -> str:
    return json.dumps(input_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def run_schema() -> int:
    sys.stdout.write(render_schema())
    return ExitCode.OK
