"""Templates: a parsed .arch file's parameters, expressions, instantiation and space.

The modules follow the data flow: `values` (type names, literals) -> `evaluate` (expressions)
-> `params` (domains, defaults) -> `conditions` (`when`: which parameters exist, distinct
architectures, uniform draws) -> `binding` (options into models and layers) -> `template`
(the Template: declarations, instantiate, the space) -> `assignment` (`-p name=value`).
"""

from .assignment import parse_assignment
from .evaluate import FUNCTIONS, EvalError, evaluate
from .params import FLOAT_GRID, MAX_DOMAIN, PARAM_TYPES, Param
from .template import MAX_LAYERS, InstantiateError, Template, TemplateError, load_template
from .values import describe_assignment, format_value, type_name

__all__ = [
    "FLOAT_GRID",
    "FUNCTIONS",
    "MAX_DOMAIN",
    "MAX_LAYERS",
    "PARAM_TYPES",
    "EvalError",
    "InstantiateError",
    "Param",
    "Template",
    "TemplateError",
    "describe_assignment",
    "evaluate",
    "format_value",
    "load_template",
    "parse_assignment",
    "type_name",
]
