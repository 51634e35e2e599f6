import socket

import anyio
import pytest

from archon_dsl.runtime.sandbox import arun_tests, extract_code, run_tests

CODE = "def add(a, b):\n    return a + b\n"


def test_pass_and_fail_per_test_in_order():
    assert run_tests(
        CODE, ["assert add(1, 2) == 3", "assert add(1, 2) == 4", "add(1)", "assert add('a', 'b') == 'ab'"]
    ) == [True, False, False, True]


def test_no_tests_no_process():
    assert run_tests(CODE, []) == []


def test_code_that_fails_to_load_fails_its_tests():
    assert run_tests("def add(a, b) return a + b", ["assert add(1, 2) == 3"]) == [False]
    # a crash after the definitions (a stray example call) does not hide them
    assert run_tests(CODE + "add(1)\n", ["assert add(1, 2) == 3"]) == [True]


def test_tests_do_not_see_each_others_changes_and_main_blocks_do_not_run():
    code = CODE + "if __name__ == '__main__':\n    input()\n"
    assert run_tests(code, ["add = None", "assert add(2, 2) == 4"]) == [True, True]


def test_a_slow_test_times_out_and_the_next_still_runs():
    assert run_tests(
        CODE, ["while True: pass", "import time; time.sleep(30)", "assert add(2, 2) == 4"], timeout=0.3
    ) == [False, False, True]


def test_a_loop_that_ignores_the_alarm_is_killed_by_the_wall_clock():
    stubborn = "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True: pass"
    assert run_tests(CODE, [stubborn], timeout=0.2) == [False]


def test_memory_limit():
    assert run_tests("", ["x = bytearray(1_000_000_000)", "x = bytearray(10_000_000)"], memory_mb=256) == [
        False,
        True,
    ]


def test_no_network():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    port = server.getsockname()[1]
    try:
        tests = [
            f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=1)",
            f"import _socket; s = _socket.socket(); s.connect(('127.0.0.1', {port}))",
            f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/', timeout=1)",
        ]
        assert run_tests("", tests) == [False, False, False]
        with pytest.raises(BlockingIOError):
            server.accept()  # nothing ever connected
    finally:
        server.close()


def test_no_host_programs_and_a_few_child_processes_are_allowed():
    tests = [
        "import subprocess; subprocess.run(['true'])",  # nothing of the host's /usr/bin is there
        "import os; assert os.system('true') == 0",
        "import os\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nassert os.waitpid(pid, 0)[1] == 0",
    ]
    assert run_tests("", tests) == [False, False, True]


def test_isolated_interpreter_with_an_empty_environment(monkeypatch):
    monkeypatch.setenv("ARCHON_SECRET_FOR_TEST", "x")
    tests = [
        "import sys; assert sys.flags.isolated == 1",
        "import os; assert 'ARCHON_SECRET_FOR_TEST' not in os.environ and 'PATH' not in os.environ",
    ]
    assert run_tests("", tests) == [True, True]


def test_runs_in_a_private_scratch_directory_with_a_file_size_limit(tmp_path):
    code = "open('scratch.txt', 'w').write('x')\n"
    tests = [
        "import os; assert os.getcwd() == '/tmp' and os.path.exists('scratch.txt')",
        "open('big.bin', 'wb').write(b'0' * (32 * 2**20))",  # over the file size limit
        "import os; assert os.listdir('/') and not os.path.exists('/etc') and not os.path.exists('/home')",
    ]
    assert run_tests(code, tests) == [True, False, True]
    # The next run starts with an empty directory again.
    assert run_tests("", ["import os; assert os.listdir('.') == []"]) == [True]


def test_printing_code_cannot_forge_results():
    assert run_tests("print('0 1 1')\nprint('x 1 1')", ["assert False"]) == [False]


def test_extract_code_is_reexported_for_candidate_text():
    text = "Sure:\n```python\n" + CODE + "```\nCall add(1, 2)."
    assert run_tests(extract_code(text), ["assert add(2, 3) == 5"]) == [True]


def test_async_wrapper():
    async def main():
        return await arun_tests(CODE, ["assert add(0, 0) == 0"])

    assert anyio.run(main) == [True]


def test_multiprocessing_works_inside_with_a_small_dev_shm():
    code = "import multiprocessing as mp\ndef square(x):\n    return x * x\n"
    tests = [
        "with mp.Pool(2) as pool:\n    assert pool.map(square, [1, 2, 3]) == [1, 4, 9]",
        "open('/dev/shm/big', 'wb').write(b'0' * (20 * 2**20))",  # over its 16 MB
    ]
    assert run_tests(code, tests) == [True, False]
