"""`-p name=value` strings parsed into a typed parameter assignment."""

from __future__ import annotations

from typing import Any

from ..architecture import ModelSpec
from ..codes.files import BAD_ASSIGNMENT
from .conditions import condition_text
from .evaluate import EvalError
from .params import Param
from .template import InstantiateError, Template
from .values import format_value


def parse_assignment(template: Template, pairs: list[str]) -> dict[str, Any]:
    """Parameter values from `name=value` strings (as `-p` gives them), typed by each param."""
    assignment: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name:
            raise InstantiateError(
                [
                    BAD_ASSIGNMENT.diagnostic(
                        f"'{pair}' is not name=value",
                        None,
                        template.path,
                        "write -p n_gen=3",
                    )
                ]
            )
        param = template.params.get(name)
        if param is None:
            from ..diagnostics import did_you_mean

            guess = did_you_mean(name, template.params)
            raise InstantiateError(
                [
                    BAD_ASSIGNMENT.diagnostic(
                        f"no parameter named '{name}'",
                        None,
                        template.path,
                        f"did you mean '{guess}'?"
                        if guess
                        else f"parameters: {', '.join(template.params) or 'none'}",
                    )
                ]
            )
        assignment[name] = _parse_value(param, text, template.path)
    _refuse_inactive(template, assignment)
    return assignment


def _refuse_inactive(template: Template, assignment: dict[str, Any]) -> None:
    """A value for a parameter that does not exist at this point is a mistake, not something to drop quietly."""
    if not template.conditional:
        return
    try:
        active = template.active_params(assignment)
    except (EvalError, InstantiateError):
        return  # a value outside its domain: instantiating reports it
    for name in assignment:
        if name in active:
            continue
        param = template.params[name]
        condition = condition_text(param)
        where = ", ".join(
            f"{p}={format_value(assignment.get(p, template.params[p].default))}" for p in param.parents
        )
        raise InstantiateError(
            [
                BAD_ASSIGNMENT.diagnostic(
                    f"'{name}' does not exist at this point: it exists only when {condition}"
                    + (f", and here {where}" if where else ""),
                    None,
                    template.path,
                    f"drop -p {name}=..., or choose values for which {condition} holds",
                )
            ]
        )


def _parse_value(param: Param, text: str, path: str) -> Any:
    def bad(expected: str) -> InstantiateError:
        return InstantiateError(
            [
                BAD_ASSIGNMENT.diagnostic(
                    f"{param.name}={text} is not {expected}",
                    None,
                    path,
                    f"domain: {param.domain_text()}",
                )
            ]
        )

    if param.type == "bool":
        lowered = text.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise bad("true or false")
    if param.type == "int":
        try:
            return int(text)
        except ValueError:
            raise bad("an integer") from None
    if param.type == "float":
        try:
            return float(text)
        except ValueError:
            raise bad("a number") from None
    unquoted = text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text
    for value in param.values or []:
        if isinstance(value, ModelSpec) and unquoted in (value.name, value.id):
            return value
        if isinstance(value, str) and unquoted == value:
            return value
        if not isinstance(value, (str, ModelSpec)) and unquoted == format_value(value):
            return value
    raise bad("one of the choices")
