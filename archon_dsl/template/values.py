"""How values are named and written back: type names and `.arch` literals."""

from __future__ import annotations

from typing import Any

from ..architecture import EnvVar, ModelSpec


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, ModelSpec):
        return "model"
    if isinstance(value, list):
        return "list"
    if isinstance(value, EnvVar):
        return "env"
    return type(value).__name__


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, ModelSpec):
        return value.name
    if isinstance(value, str):
        from ..language.printer import escape

        return escape(value)
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return repr(value) if isinstance(value, float) else str(value)


def describe_assignment(assignment: dict[str, Any]) -> str:
    return ", ".join(f"{k}={format_value(v)}" for k, v in assignment.items())
