"""Conversations in the components: what each kind sends when the query is the last turn of a chat."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from archon_dsl.components import COMPONENTS, State
from archon_dsl.components.prompting import CONVERSATION_INTRO
from archon_dsl.conversation import MessagesError, check_messages, check_turns, split_last

from .helpers import layer, state, user_prompt

HISTORY = (
    {"role": "system", "content": "Answer like a pirate."},
    {"role": "user", "content": "What is 6 * 7?"},
    {"role": "assistant", "content": "Arr, 42."},
)
LAST = "And half of that?"
ROLE_WORDS = ["system", "user", "assistant", "developer", "tool", "text"]
KEYS = ["role", "content", "type", "text", "name"]


def chat_state(*texts: str, tests: tuple[str, ...] = ()) -> State:
    return state(*texts, tests=tests).with_(query=LAST, history=HISTORY)


def test_a_generator_sends_the_conversation_as_turns_after_one_system_message():
    spec = COMPONENTS["generator"].calls(layer("generator", system="Be careful."), chat_state(), 0)[0]
    assert list(spec.messages) == [
        {"role": "system", "content": "Be careful.\n\nAnswer like a pirate."},
        {"role": "user", "content": "What is 6 * 7?"},
        {"role": "assistant", "content": "Arr, 42."},
        {"role": "user", "content": LAST},
    ]


def test_a_generator_prompt_override_shapes_only_the_last_turn():
    spec = COMPONENTS["generator"].calls(layer("generator", prompt="Q: {query}"), chat_state(), 0)[0]
    assert [m["content"] for m in spec.messages[1:]] == ["What is 6 * 7?", "Arr, 42.", f"Q: {LAST}"]


def test_no_system_puts_the_system_text_ahead_of_the_first_user_turn():
    spec = COMPONENTS["generator"].calls(
        layer("generator", system="Be careful.", no_system=True), chat_state(), 0
    )[0]
    assert [m["role"] for m in spec.messages] == ["user", "assistant", "user"]
    assert spec.messages[0]["content"] == "Be careful.\n\nAnswer like a pirate.\n\nWhat is 6 * 7?"
    assert spec.messages[-1]["content"] == LAST


@pytest.mark.parametrize(
    "kind, options, current",
    [
        ("critic", {}, chat_state("a", "b")),
        ("ranker", {}, chat_state("a", "b")),
        ("fuser", {}, chat_state("a", "b")),
        ("verifier", {"steps": 1}, chat_state("a")),
        ("verifier", {}, chat_state("a")),
        ("unit_test_generator", {}, chat_state()),
        ("unit_test_evaluator", {}, chat_state("a", tests=("Says 21.",))),
    ],
)
def test_judging_kinds_show_the_earlier_turns_and_say_the_query_is_the_last_message(kind, options, current):
    spec = COMPONENTS[kind].calls(layer(kind, **options), current, 0)[0]
    assert [m["role"] for m in spec.messages] == ["system", "user"]  # one turn: the conversation is shown
    prompt = user_prompt(spec)
    assert prompt.startswith(CONVERSATION_INTRO)
    block = prompt[prompt.index("<conversation>") : prompt.index("</conversation>")]
    assert block.index("Answer like a pirate.") < block.index("What is 6 * 7?") < block.index("Arr, 42.")
    assert '<message role="assistant">\nArr, 42.\n</message>' in block
    assert f"<query>\n{LAST}\n</query>" in prompt and LAST not in block


def test_the_verifiers_second_step_sees_the_conversation_too():
    spec = COMPONENTS["verifier"].calls(layer("verifier"), chat_state("a"), 0)[0]
    verdict = spec.then("It halves 42 correctly.")
    assert "<conversation>" in user_prompt(verdict) and "<reasoning>" in user_prompt(verdict)


@pytest.mark.parametrize(
    "kind", ["generator", "critic", "ranker", "fuser", "verifier", "unit_test_generator"]
)
def test_a_plain_question_builds_the_same_messages_as_before(kind):
    plain = state("a", "b")
    with_empty_history = plain.with_(history=())
    component = COMPONENTS[kind]
    first = [s.messages for s in component.calls(layer(kind), plain, 0)]
    assert first == [s.messages for s in component.calls(layer(kind), with_empty_history, 0)]
    assert all("<conversation>" not in m["content"] for messages in first for m in messages)


def test_checked_messages_keep_role_and_content_only_and_read_text_parts():
    messages = check_messages(
        [
            {"role": "developer", "content": "Be brief.", "name": "ops"},
            {"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": "there"}]},
        ]
    )
    assert messages == ({"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi\nthere"})
    assert split_last(messages) == (({"role": "system", "content": "Be brief."},), "Hi\nthere")


@pytest.mark.parametrize(
    "value, field, words",
    [
        ("hello", "messages", "must be a list of messages"),
        ([], "messages", "is empty"),
        (["hi"], "messages[0]", "must be an object"),
        ([{"content": "hi"}], "messages[0].role", "missing"),
        (
            [{"role": "bot", "content": "hi"}],
            "messages[0].role",
            "'bot' is not one of system, user, assistant",
        ),
        ([{"role": "tool", "content": "{}"}], "messages[0].role", "tool calls are not supported"),
        ([{"role": "user"}], "messages[0].content", "missing"),
        ([{"role": "user", "content": 7}], "messages[0].content", "must be a string, not int"),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
            "messages[0].content[0].type",
            "only text content",
        ),
        (
            [{"role": "user", "content": "hi \ud800"}],
            "messages[0].content",
            "at character 4, half of a UTF-16 pair",
        ),
        (
            [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
            "messages[1].role",
            "ends with the user's message",
        ),
    ],
)
def test_bad_messages_say_which_field_and_what_is_wrong(value, field, words):
    with pytest.raises(MessagesError) as caught:
        check_messages(value)
    assert caught.value.field == field and words in str(caught.value)
    assert str(caught.value).startswith(f"{field}: ")


def test_turns_are_a_non_empty_list_of_strings():
    assert check_turns(["a", "b"]) == ("a", "b")
    for value, field in (([], "turns"), ("a", "turns"), (["a", None], "turns[1]"), (["\udc80"], "turns[0]")):
        with pytest.raises(MessagesError) as caught:
            check_turns(value)
        assert caught.value.field == field


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.sampled_from(ROLE_WORDS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(JSON)
def test_any_json_is_checked_messages_or_a_messages_error_never_a_crash(value):
    try:
        messages = check_messages(value)
    except MessagesError as e:
        assert e.field.startswith("messages") and str(e) == f"{e.field}: {e.problem}"
        return
    assert messages and messages[-1]["role"] == "user"
    assert all(set(m) == {"role", "content"} and isinstance(m["content"], str) for m in messages)
