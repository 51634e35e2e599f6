"""How a streaming final call becomes the answer's deltas (http._AnswerStream), retries included."""

from __future__ import annotations

from archon_dsl.serve.http import _AnswerStream


def feed(stream: _AnswerStream, *texts: str) -> list[str]:
    return [stream.advance(text) for text in texts]


def test_the_answer_streams_stripped_with_trailing_blanks_held_back():
    stream = _AnswerStream()
    assert feed(stream, "  ", "  Hello", "  Hello ", "  Hello world\n") == ["", "Hello", "", " world"]
    assert stream.rest("Hello world") == ""


def test_a_retry_that_starts_over_stops_the_stream_and_the_answer_decides():
    same = _AnswerStream()
    assert feed(same, "Paris is", "Pa") == ["Paris is", ""]  # shorter: a new attempt began
    assert feed(same, "Paris is nice") == [""]  # nothing more streams after a restart
    assert same.rest("Paris is nice") == " nice"  # the answer still follows what was sent
    other = _AnswerStream()
    feed(other, "Paris is", "Lyon")
    assert other.rest("Lyon is a city") is None  # it does not: the stream reports an error


def test_a_retry_whose_first_text_is_longer_than_what_was_seen_is_caught():
    stream = _AnswerStream()
    assert feed(stream, "Pa", "Lyon is a city") == ["Pa", ""]
    assert stream.rest("Lyon is a city") is None
