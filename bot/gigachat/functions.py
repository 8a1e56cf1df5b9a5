"""Forced function calls: the spec, the reduced JSON Schema GigaChat accepts, the raw answer, the repair turn."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gigachat.models import (
    FewShotExample,
    Function,
    FunctionParameters,
    Messages,
    MessagesRole,
)
from pydantic import BaseModel, ValidationError

from bot import texts

if TYPE_CHECKING:
    from bot.gigachat.client import Usage


@dataclass(frozen=True)
class FunctionAnswer:
    """What a forced function call returned, unvalidated: the caller checks it item by item."""

    arguments: dict[str, Any] | None  # None: neither a function call nor JSON in the text
    finish_reason: str | None
    usage: Usage
    message: Messages  # the assistant's own turn, to show it what it is correcting


@dataclass(frozen=True)
class FunctionSpec:
    """A function the model is forced to call: schema from a pydantic model, description, examples."""

    name: str
    description: str
    answer_type: type[BaseModel]
    examples: tuple[tuple[str, str], ...] = ()  # (request, arguments as JSON): hashable, so built once


@functools.cache
def plain_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Turn a pydantic model into the reduced, inlined JSON Schema GigaChat functions accept."""
    schema = model.model_json_schema()
    return _plain(schema, schema.get("$defs", {}), model.__name__)


def _inlined(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """`$ref` replaced by its definition, and an optional (`anyOf` with null) by its one real type."""
    if "$ref" in node:
        node = {**defs[node["$ref"].split("/")[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        node = {**{k: v for k, v in node.items() if k != "anyOf"}, **_inlined(options[0], defs)}
    return node


def _plain(node: dict[str, Any], defs: dict[str, Any], name: str) -> dict[str, Any]:
    node = _inlined(node, defs)
    out: dict[str, Any] = {key: node[key] for key in ("type", "description", "enum") if key in node}
    if "const" in node:
        out["enum"] = [node["const"]]
    if "enum" in out and "type" not in out:
        out["type"] = "string"
    if "items" in node:
        out["items"] = _plain(node["items"], defs, name)
    if node.get("type") == "object" or "properties" in node:
        if not node.get("properties"):
            raise ValueError(f"{name}: every object in a GigaChat schema needs properties")
        out["type"] = "object"
        out["properties"] = {k: _plain(v, defs, name) for k, v in node["properties"].items()}
        if node.get("required"):
            out["required"] = list(node["required"])
    return out


@functools.cache
def build_function(spec: FunctionSpec) -> Function:
    """The GigaChat function for a spec, built once (pydantic schema generation is slow)."""
    examples = [FewShotExample(request=request, params=json.loads(params)) for request, params in spec.examples]
    return Function(
        name=spec.name,
        description=spec.description,
        parameters=FunctionParameters.model_validate(plain_schema(spec.answer_type)),
        few_shot_examples=examples or None,
    )


def _extract_json(text: str) -> Any:
    match = re.search(r"\{.*\}", text, re.DOTALL)
    if not match:
        return None
    try:
        return json.loads(match.group(0))
    except ValueError:
        return None


def _describe_problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:10])
    return str(exc)


def repair_turn(answer: FunctionAnswer, problem: str) -> list[Messages]:
    """The model's own previous call and what was wrong with it, so it sees what it is correcting."""
    repair = texts.LLM_REPAIR.format(problem=problem[:1500])
    if answer.message.function_call is None:
        return [answer.message, Messages(role=MessagesRole.USER, content=repair)]
    # GigaChat expects a function's result after its call: the "result" is the list of problems.
    result = json.dumps({"error": repair}, ensure_ascii=False)
    name = answer.message.function_call.name
    return [answer.message, Messages(role=MessagesRole.FUNCTION, name=name, content=result)]
