"""The SQLite reply cache: keys, round trips, persistence, concurrent writers, clear errors."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading

import pytest

from archon_dsl.diagnostics import ArchonError
from archon_dsl.runtime.cache import DEFAULT_PATH, Cache, CachedReply, cache_key

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2 + 2?"}]
REPLY = CachedReply("4", "openai/gpt-4o", 12, 1, 0.00004)


def key(model: str = "openai/gpt-4o", messages=MESSAGES, **changes) -> str:
    fields = dict(
        api_base=None, temperature=0.7, max_tokens=100, response_format=None, params={"top_p": 1}, sample=0
    )
    fields.update(changes)
    return cache_key(model, messages, **fields)


def test_a_key_is_a_stable_sha256_of_what_shapes_the_reply():
    assert key() == key() and len(key()) == 64 and int(key(), 16) >= 0
    assert key() == cache_key(
        "openai/gpt-4o", tuple(MESSAGES), temperature=0.7, max_tokens=100, params={"top_p": 1}
    )
    different = [
        key(model="openai/gpt-4o-mini"),
        key(api_base="http://127.0.0.1:8000/v1"),
        key(temperature=0.2),
        key(max_tokens=101),
        key(response_format={"type": "json_object"}),
        key(params={"top_p": 0.9}),
        key(sample=1),
        key(messages=MESSAGES[1:]),
    ]
    assert len({key(), *different}) == len(different) + 1


def test_credentials_never_enter_a_key():
    assert (
        key(params={"top_p": 1, "api_key": "sk-one"})
        == key(params={"top_p": 1, "api_key": "sk-two"})
        == key()
    )
    assert key(params={"top_p": 1, "extra_headers_token": "x"}) == key()


def test_round_trip_and_miss(tmp_path):
    with Cache(tmp_path / "c.sqlite") as cache:
        assert cache.get(key()) is None
        cache.put(key(), REPLY)
        assert cache.get(key()) == REPLY  # served while the write is pending
        cache.flush()
        assert cache.get(key()) == REPLY  # and from the file once committed
        assert (cache.hits, cache.misses) == (2, 1)


def test_entries_persist_across_instances(tmp_path):
    path = tmp_path / "c.sqlite"
    with Cache(path) as first:
        first.put(key(), REPLY)
        first.put(key(sample=1), CachedReply("5", "openai/gpt-4o", 12, 1, None))
    with Cache(path) as second:
        assert second.get(key()) == REPLY
        assert second.get(key(sample=1)).cost_usd is None
        assert second.stats()["entries"] == 2


def test_a_newer_reply_replaces_the_older(tmp_path):
    with Cache(tmp_path / "c.sqlite") as cache:
        cache.put(key(), REPLY)
        cache.put(key(), CachedReply("four", "openai/gpt-4o", 12, 1, 0.00004))
        cache.flush()
        assert cache.get(key()).text == "four" and cache.entries() == 1


def test_stats_and_clear(tmp_path):
    with Cache(tmp_path / "c.sqlite") as cache:
        for sample in range(5):
            cache.put(key(sample=sample), REPLY)
        stats = cache.stats()
        assert stats["entries"] == 5 and stats["bytes"] > 0 and stats["writes"] == 5 and stats["errors"] == 0
        assert cache.clear() == 5 and cache.get(key()) is None and cache.entries() == 0


def test_the_default_cache_lives_in_the_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Cache.default() as cache:
        assert cache.path == tmp_path / DEFAULT_PATH
    with Cache.default(tmp_path / "elsewhere") as cache:
        assert cache.path == tmp_path / "elsewhere" / DEFAULT_PATH and cache.path.exists()


def test_a_file_that_is_no_database_is_a_clear_error(tmp_path):
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"this is not a database, it is a shopping list" * 100)
    with pytest.raises(ArchonError) as raised:
        Cache(path)
    assert raised.value.diagnostics[0].code == "E031" and str(path) in str(raised.value)


def test_a_damaged_cache_is_moved_aside_with_a_warning_and_a_fresh_one_started(tmp_path, capsys):
    path = tmp_path / ".archon" / "cache.sqlite"
    with Cache(path) as earlier:
        earlier.put(key(), REPLY)
    with open(
        path, "r+b"
    ) as f:  # what a stray writer did to a live cache: page 1's b-tree header overwritten
        f.seek(100)
        f.write(b"POISONED BY SANDBOX")
    damaged = path.read_bytes()
    probe = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="malformed"):
        probe.execute("SELECT key FROM replies").fetchall()
    probe.close()

    cache = Cache(path)  # never fails the run
    warning = capsys.readouterr().err
    (aside,) = [
        p for p in path.parent.glob("cache.sqlite.corrupt-*") if not p.name.endswith(("-wal", "-shm"))
    ]
    assert aside.read_bytes() == damaged  # kept as it was, for whoever wants to look
    assert warning.count("\n") == 1 and "archon: warning:" in warning and str(path) in warning
    assert "malformed" in warning and aside.name in warning
    assert cache.get(key()) is None  # the old replies are gone with the file: asked again
    cache.put(key(), REPLY)
    cache.close()
    with Cache(path) as reopened:
        assert reopened.get(key()) == REPLY and reopened.entries() == 1
        check = sqlite3.connect(path)
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        check.close()
    assert capsys.readouterr().err == ""


def test_threads_share_one_cache(tmp_path):
    cache = Cache(tmp_path / "c.sqlite")

    def work(thread: int) -> None:
        for sample in range(100):
            cache.put(key(sample=thread * 1000 + sample), CachedReply(f"{thread}:{sample}", "m", 1, 1, None))
            assert cache.get(key(sample=thread * 1000 + sample)).text == f"{thread}:{sample}"

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.entries() == 400 and cache.stats()["errors"] == 0
    cache.close()


def _write_many(path: str, writer: int, count: int) -> None:
    with Cache(path) as cache:
        for n in range(count):
            cache.put(key(sample=writer * 10_000 + n), CachedReply(f"w{writer}-{n}", "m", n, n, None))
            cache.put(
                key(sample=-1 - n), CachedReply(f"shared by {writer}", "m", 1, 1, None)
            )  # every writer, same keys


def test_concurrent_processes_do_not_corrupt_the_cache(tmp_path):
    path = tmp_path / "c.sqlite"
    Cache(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_many, args=(str(path), w, 150)) for w in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    with Cache(path) as cache:
        assert cache.entries() == 3 * 150 + 150
        assert all(cache.get(key(sample=w * 10_000 + 149)).text == f"w{w}-149" for w in range(3))
        assert cache.get(key(sample=-8)).text.startswith("shared by ")
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_caches_of_one_file_in_one_process_share_what_they_know(tmp_path):
    first = Cache(tmp_path / "c.sqlite")
    first.put(key(), REPLY)
    second = Cache(tmp_path / "c.sqlite")  # opened before the first one's write may be committed
    assert second.get(key()) == REPLY
    first.close()
    second.close()


# -- a cache file that is corrupt, foreign or locked -------------------------------------------


def test_a_corrupt_row_is_a_miss_and_the_fresh_reply_replaces_it(tmp_path):
    path = tmp_path / "c.sqlite"
    with Cache(path) as cache:
        cache.put(key(), REPLY)
        cache.put(key(sample=1), REPLY)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE replies SET input_tokens = 'lots' WHERE key = ?", (key(),))
        connection.execute("UPDATE replies SET cost_usd = -1.0 WHERE key = ?", (key(sample=1),))
    with Cache(path) as cache:
        assert cache.get(key()) is None and cache.get(key(sample=1)) is None
        assert (cache.corrupt, cache.misses, cache.errors) == (2, 2, 0)
        cache.put(key(), REPLY)  # as the provider does with the fresh reply
    with Cache(path) as cache:
        assert cache.get(key()) == REPLY and cache.corrupt == 0


def test_a_query_over_a_corrupt_cache_succeeds_and_repairs_it(server, tmp_path):
    from archon_dsl.api import run
    from tests.support.openai_server import Reply

    server.reset()
    server.set("gen", Reply.ok("draft"))
    text = f'model gen = "openai/gen" {{ api_base = "{server.base_url}" }}\nlayer generator {{ model = gen; samples = 2 }}\n'
    path = tmp_path / "c.sqlite"

    def ask():
        with Cache(path) as cache:
            from archon_dsl.loader import load_text
            from archon_dsl.runtime.provider import Provider

            arch = load_text(text).instantiate()
            provider = Provider.for_architecture(arch, cache=cache, env_file=None)
            return run(arch, "2 + 2?", provider=provider)

    assert ask().error is None and server.hits["gen"] == 2
    with sqlite3.connect(path) as connection:
        assert connection.execute("UPDATE replies SET input_tokens = 'lots'").rowcount == 2
    again = ask()
    assert again.error is None and again.answer == "draft" and server.hits["gen"] == 4  # misses, not failures
    assert ask().cached_calls == 2 and server.hits["gen"] == 4  # the rows were replaced


def test_a_replies_table_of_another_shape_is_refused_loudly_and_left_alone(tmp_path):
    path = tmp_path / "c.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE replies (id INTEGER PRIMARY KEY, body TEXT)")
        connection.execute("INSERT INTO replies (body) VALUES ('somebody else''s data')")
    before = path.read_bytes()
    with pytest.raises(ArchonError) as raised:
        Cache(path)
    message = str(raised.value)
    assert f"the cache {path} has a 'replies' table of another shape (columns: id, body; 1 rows)" in message
    assert "--no-cache" in raised.value.diagnostics[0].hint and str(path) in raised.value.diagnostics[0].hint
    assert path.read_bytes() == before


def test_an_empty_replies_table_of_another_shape_is_replaced(tmp_path):
    path = tmp_path / "c.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE replies (key TEXT, reply TEXT)")
    with Cache(path) as cache:
        cache.put(key(), REPLY)
    with Cache(path) as cache:
        assert cache.get(key()) == REPLY and cache.stats()["lost"] == 0


def _hold_write_lock(path):
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_write_lock_held_past_close_loses_the_write_with_a_warning(tmp_path, capsys):
    path = tmp_path / "c.sqlite"
    Cache(path).close()
    holder = _hold_write_lock(path)
    try:
        cache = Cache(path)
        cache.put(key(), REPLY)
        assert cache.get(key()) == REPLY  # served from memory while it cannot be written
        cache.close()
    finally:
        holder.rollback()
        holder.close()
    assert cache.lost == 1 and cache.writes == 0
    warning = capsys.readouterr().err
    assert f"archon: warning: 1 reply could not be saved in the cache {path}" in warning
    assert "another process held the cache's write lock" in warning


def test_a_write_held_up_by_a_lock_is_committed_once_the_lock_goes(tmp_path, capsys):
    path = tmp_path / "c.sqlite"
    Cache(path).close()
    holder = _hold_write_lock(path)
    cache = Cache(path)
    cache.put(key(), REPLY)
    release = threading.Timer(0.5, holder.rollback)
    release.start()
    cache.close()  # retries while the other writer holds the lock, then commits
    release.join()
    holder.close()
    assert (cache.writes, cache.lost) == (1, 0) and capsys.readouterr().err == ""
    with Cache(path) as again:
        assert again.get(key()) == REPLY


def test_a_cli_run_against_a_locked_cache_answers_and_warns_what_was_not_saved(tmp_path):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    arch = tmp_path / "g.arch"
    arch.write_text('layer generator { model = "sim/writer"; samples = 2 }\n', encoding="utf-8")
    found = shutil.which("archonc", path=str(Path(sys.executable).parent))
    command = [
        *([found] if found else [sys.executable, "-m", "archon_dsl.cli"]),
        "run",
        str(arch),
        "What is 3 + 3?",
        "--sim",
        "--cache-dir",
        str(tmp_path),
    ]
    Cache(tmp_path / "cache.sqlite").close()
    holder = _hold_write_lock(tmp_path / "cache.sqlite")  # another process's writer that never commits
    try:
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    finally:
        holder.rollback()
        holder.close()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()  # the answer
    assert (
        f"archon: warning: 2 replies could not be saved in the cache {tmp_path / 'cache.sqlite'} "
        "(another process held the cache's write lock)"
    ) in done.stderr
