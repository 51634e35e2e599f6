"""Conversations through the executor, the real Provider and the loopback OpenAI-compatible server:
what the server receives, multi-turn rows answered turn by turn, resumable output, bad messages."""

from __future__ import annotations

import json
import re

import anyio
import pytest

import archon_dsl as ad
from archon_dsl.conversation import MessagesError
from archon_dsl.datasets import DatasetError, read_rows
from archon_dsl.runtime.batch import to_queries
from archon_dsl.runtime.cache import Cache
from archon_dsl.runtime.executor import Query
from archon_dsl.runtime.trace import QueryResult
from tests.support.openai_server import OpenAIServer, Reply

from .test_executor import architecture, executor

GEN_FUSE = """
layer generator { models = [g1] }
layer fuser { model = fuse }
"""
CHAT = [
    {"role": "system", "content": "Answer like a pirate."},
    {"role": "user", "content": "What is 6 * 7?"},
    {"role": "assistant", "content": "Arr, 42."},
    {"role": "user", "content": "And half of that?"},
]


@pytest.fixture(autouse=True)
def fresh(server):
    server.reset()


def last_user(body: dict) -> str:
    return [m["content"] for m in body["messages"] if m["role"] == "user"][-1]


def answer_each_turn(server: OpenAIServer) -> None:
    """g1 answers the last user message; fuse passes on the first candidate it is shown."""
    server.set("g1", lambda body: Reply.ok(f"answer to <{last_user(body)}>"))

    def fuse(body: dict) -> Reply:
        prompt = last_user(body)
        start = prompt.index('<candidate id="1">\n') + len('<candidate id="1">\n')
        return Reply.ok(prompt[start : prompt.index("\n</candidate>", start)])

    server.set("fuse", fuse)


def bodies(server: OpenAIServer, model: str) -> list[dict]:
    return [r.body for r in server.requests if r.model == model]


def test_a_conversation_reaches_the_model_turn_by_turn_in_order(server):
    answer_each_turn(server)
    result = anyio.run(executor(architecture(server, GEN_FUSE)).run_query, CHAT)
    assert result.error is None and result.answer == "answer to <And half of that?>"
    (generator,) = bodies(server, "g1")
    roles = [m["role"] for m in generator["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert generator["messages"][0]["content"].endswith("\n\nAnswer like a pirate.")  # after the layer's
    assert [m["content"] for m in generator["messages"][1:]] == [m["content"] for m in CHAT[1:]]
    (fuser,) = bodies(server, "fuse")
    prompt = last_user(fuser)
    assert [m["role"] for m in fuser["messages"]] == ["system", "user"]
    assert prompt.index("Answer like a pirate.") < prompt.index("Arr, 42.") < prompt.index("<query>")
    assert "<query>\nAnd half of that?\n</query>" in prompt
    assert (result.question, result.messages, result.turns) == ("And half of that?", CHAT, None)


def test_the_cache_key_holds_the_whole_conversation(server, tmp_path):
    answer_each_turn(server)
    arch = architecture(server, GEN_FUSE)
    other = [*CHAT[:2], {"role": "assistant", "content": "Arr, 41."}, CHAT[3]]
    with Cache(tmp_path / "cache.sqlite") as cache:
        first = anyio.run(executor(arch, cache=cache).run_query, CHAT)
        again = anyio.run(executor(arch, cache=cache).run_query, CHAT)
        changed = anyio.run(executor(arch, cache=cache).run_query, other)
        plain = anyio.run(executor(arch, cache=cache).run_query, "And half of that?")
    assert (first.cached_calls, again.cached_calls, changed.cached_calls, plain.cached_calls) == (0, 2, 0, 0)
    assert server.total_hits == 6


def test_turns_are_answered_one_by_one_with_the_architectures_own_answers(server):
    answer_each_turn(server)
    query = Query.of(["What is 6 * 7?", "And half of that?", "Thanks!"], "mt1", turns=True)
    result = anyio.run(executor(architecture(server, GEN_FUSE)).run_query, query)
    assert result.error is None
    assert result.turns == [
        "answer to <What is 6 * 7?>",
        "answer to <And half of that?>",
        "answer to <Thanks!>",
    ]
    assert result.answer == result.turns[-1] and result.question == "Thanks!"
    third = bodies(server, "g1")[2]["messages"]
    assert [(m["role"], m["content"]) for m in third[1:]] == [
        ("user", "What is 6 * 7?"),
        ("assistant", "answer to <What is 6 * 7?>"),
        ("user", "And half of that?"),
        ("assistant", "answer to <And half of that?>"),
        ("user", "Thanks!"),
    ]
    assert result.messages == [{"role": m["role"], "content": m["content"]} for m in third[1:]]
    # One stats entry per layer, summed over the three turns.
    assert [(layer.kind, layer.calls) for layer in result.layers] == [("generator", 3), ("fuser", 3)]
    assert result.calls == 6 == server.total_hits


def test_a_failed_turn_stops_the_row_and_says_which_turn(server):
    answer_each_turn(server)
    server.script("g1", [Reply.ok("fine"), Reply.error(400)])
    query = Query.of(["one", "two", "three"], "mt2", turns=True)
    result = anyio.run(executor(architecture(server, GEN_FUSE, "retries = 0")).run_query, query)
    assert result.error is not None and result.error.startswith("turn 2: layer 0 (generator)")
    assert result.turns == ["fine", None, None] and result.answer is None
    assert result.messages == [
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "fine"},
        {"role": "user", "content": "two"},
    ]


def test_dataset_rows_with_messages_and_turns_resume_from_the_output_file(server, tmp_path):
    answer_each_turn(server)
    rows = [
        {"id": "chat", "messages": CHAT},
        {"id": "mt", "turns": ["What is 6 * 7?", "And half of that?"]},
        {"id": "plain", "question": "What is 2 + 2?", "answer": "4"},
    ]
    out = tmp_path / "out.jsonl"
    arch = architecture(server, GEN_FUSE)
    results = ad.run_dataset(arch, rows, out=out, cache=None, env_file=None)
    assert [r.error for r in results] == [None, None, None]
    assert server.total_hits == 8
    written = {d["id"]: d for d in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert written["mt"]["turns"] == ["answer to <What is 6 * 7?>", "answer to <And half of that?>"]
    assert written["chat"]["messages"] == CHAT and "turns" not in written["chat"]
    assert "messages" not in written["plain"] and "turns" not in written["plain"]  # as before
    again = ad.run_dataset(arch, rows, out=out, cache=None, env_file=None)
    assert server.total_hits == 8  # every row resumed
    assert [(r.id, r.turns, r.messages) for r in again] == [(r.id, r.turns, r.messages) for r in results]


def test_a_result_written_before_conversations_reads_back():
    old = {"id": "1", "question": "q", "answer": "a", "error": None, "calls": 2}
    result = QueryResult.from_dict(old)
    assert (result.messages, result.turns) == (None, None)
    assert "messages" not in result.to_dict() and "turns" not in result.to_dict()


def test_bad_messages_are_refused_before_any_call(server):
    arch = architecture(server, GEN_FUSE)
    with pytest.raises(MessagesError, match=r"^messages\[1\]\.role: the last message is the assistant's"):
        ad.run(arch, [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}], cache=None)
    with pytest.raises(MessagesError, match=r"^messages\[0\]\.content: must be a string"):
        anyio.run(executor(arch).run_query, [{"role": "user", "content": 5}])
    assert server.total_hits == 0


@pytest.mark.parametrize(
    "row, words",
    [
        (
            {"messages": [{"role": "user", "content": "a"}], "question": "b"},
            "row 1: has both question and messages",
        ),
        ({"turns": ["a", 2]}, "row 1: turns[1]: must be a string, not int"),
        ({"messages": [{"role": "assistant", "content": "a"}]}, "row 1: messages[0].role: the last message"),
        ({"id": "x"}, "row 1 has no question"),
        ({"question": "a\udc80"}, "row 1: question: holds '\\udc80' at character 2"),
    ],
)
def test_bad_rows_say_which_row_and_field(row, words):
    with pytest.raises(DatasetError, match="^" + re.escape(words)):
        to_queries([row])


def test_a_messages_or_turns_file_is_read_and_a_bad_line_named(tmp_path):
    good = tmp_path / "chats.jsonl"
    good.write_text(
        json.dumps({"id": "a", "messages": CHAT})
        + "\n"
        + json.dumps({"id": "b", "turns": ["x", "y"]})
        + "\n",
        encoding="utf-8",
    )
    queries = to_queries(read_rows(good))
    assert [(q.id, q.question, len(q.messages), q.turns) for q in queries] == [
        ("a", "And half of that?", 4, ()),
        ("b", "y", 0, ("x", "y")),
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "a", "question": "q"}\n{"id": "b", "messages": [{"role": "bot", "content": "x"}]}\n'
    )
    with pytest.raises(DatasetError) as caught:
        read_rows(bad)
    assert (
        str(caught.value) == f"{bad}:2: line 2: messages[0].role: 'bot' is not one of system, user, assistant"
    )
