"""The rules, one module each; RULES is the default set, in the order their findings are listed."""

from __future__ import annotations

from .base import Context, DeclarationRule, Rule
from .budget_exceeded import BudgetExceeded
from .critic_before_consumer import CriticBeforeConsumer
from .empty_architecture import EmptyArchitecture
from .first_layer_generators import FirstLayerGenerators
from .fuser_fan_in import FuserFanIn
from .generators_first_only import GeneratorsFirstOnly
from .invalid_value import InvalidValue
from .key_to_custom_host import KeyToCustomHost
from .one_kind_per_layer import OneKindPerLayer
from .param_condition import ParamCondition
from .param_never_active import ParamNeverActive
from .pool_out_of_range import PoolOutOfRange
from .prompt_placeholders import PromptPlaceholders
from .ranker_top_k import RankerTopK
from .resource_limits import OverLimit
from .single_answer import SingleAnswer
from .single_model_kinds import SingleModelKind
from .syntax_error import SyntaxError_
from .undefined_name import UndefinedName
from .unit_test_pairing import UnitTestPairing
from .unknown_kind import UnknownKind
from .unknown_model import UnknownModel
from .unknown_option import UnknownOption
from .unknown_param_type import UnknownParamType
from .unsatisfiable_space import UnsatisfiableSpace
from .unused_name import UnusedName
from .value_outside_domain import ValueOutsideDomain

RULES: tuple[Rule, ...] = (
    SyntaxError_(),
    UnknownKind(),
    UnknownOption(),
    UnknownParamType(),
    OneKindPerLayer(),
    FirstLayerGenerators(),
    GeneratorsFirstOnly(),
    CriticBeforeConsumer(),
    SingleModelKind(),
    UnitTestPairing(),
    SingleAnswer(),
    OverLimit(),
    FuserFanIn(),
    RankerTopK(),
    UnknownModel(),
    KeyToCustomHost(),
    PromptPlaceholders(),
    UndefinedName(),
    UnusedName(),
    ValueOutsideDomain(),
    PoolOutOfRange(),
    UnsatisfiableSpace(),
    ParamCondition(),
    ParamNeverActive(),
    BudgetExceeded(),
    EmptyArchitecture(),
    InvalidValue(),
)

BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}


def find_rule(code_or_name: str) -> Rule | None:
    """A rule by its code (case-insensitive) or kebab-case name."""
    return BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())


__all__ = ["RULES", "BY_CODE", "BY_NAME", "Context", "DeclarationRule", "Rule", "find_rule"]
