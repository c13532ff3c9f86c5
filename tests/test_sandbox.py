"""The sandbox: hostile snippets are stopped with the right reason, the runner carries on, and
nothing outside the sandbox's own temporary directory is touched."""

from __future__ import annotations

import os
import socket
import time

import pytest

from synthcompile.sandbox import Limits, SandboxRunner

# Short limits keep the tests quick; the wall-clock limit is the one a busy loop meets first.
QUICK = Limits(wall_s=0.5, cpu_s=10.0, grace_s=0.5, memory_mb=256)


@pytest.fixture
def runner():
    with SandboxRunner(QUICK) as r:
        yield r


def still_works(runner: SandboxRunner) -> None:
    """The runner answers the next snippet correctly, whatever the previous one did."""
    result = runner.run(f"print(sum(range({time.monotonic_ns() % 1000})))")  # never cached
    assert result.ok, result.error
    assert int(result.stdout) >= 0


def test_runs_a_snippet_and_returns_its_output(runner):
    result = runner.run("x = 6\nfor i in range(3):\n    x += i\nprint(x)\nprint([x, -x])")
    assert result.ok and result.stdout == "9\n[9, -9]\n"


def test_a_failing_snippet_reports_its_exception(runner):
    assert runner.run("print(1)\n1 // 0").error == "exception: ZeroDivisionError: integer division or modulo by zero"
    assert runner.run("x = (").error.startswith("syntax error")
    still_works(runner)


def test_each_snippet_starts_from_clean_state(runner):
    assert runner.run("x = 41").ok
    assert "NameError" in runner.run("print(x)").error
    # Tampering with builtins or the recursion limit does not leak into the next snippet.
    assert runner.run("import builtins, sys\nbuiltins.len = None\nsys.setrecursionlimit(50)").ok
    result = runner.run("print(len([1, 2]))\ndef f(n): return n and f(n - 1)\nprint(f(200))")
    assert result.ok and result.stdout == "2\n0\n"


def test_python_infinite_loop_times_out_inside_the_child(runner):
    start = time.monotonic()
    assert runner.run("while True:\n    pass").error == "timeout"
    assert time.monotonic() - start < 3
    assert runner.restarts == 0  # stopped by the child's own timer: no restart needed
    still_works(runner)


def test_catching_the_timeout_does_not_escape_it(runner):
    source = "while True:\n    try:\n        while True: pass\n    except BaseException:\n        pass"
    assert runner.run(source).error == "timeout"
    still_works(runner)


def test_loop_in_c_code_is_killed_by_the_parent(runner):
    start = time.monotonic()
    assert runner.run("sum(range(10**15))").error == "timeout"  # no Python code runs: no timer
    assert time.monotonic() - start < 4
    assert runner.restarts == 1
    still_works(runner)


def test_ignored_timer_signal_is_killed_by_the_parent(runner):
    source = "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass"
    assert runner.run(source).error == "timeout"
    still_works(runner)


def test_sleeping_snippet_times_out():
    with SandboxRunner(QUICK) as runner:
        assert runner.run("import time\ntime.sleep(60)").error == "timeout"
        still_works(runner)


def test_cpu_time_limit():
    with SandboxRunner(Limits(wall_s=20.0, cpu_s=0.3)) as runner:
        start = time.monotonic()
        assert runner.run("n = 0\nwhile True:\n    n += 1").error == "cpu time limit"
        assert time.monotonic() - start < 10
        still_works(runner)


@pytest.mark.parametrize("source", [
    "x = bytearray(10 * 1024**3)",
    "x = 'a' * (10 * 1024**3)",
    "x = [0] * (10 * 1024**3 // 8)",
])
def test_ten_gigabytes_fail_fast_with_memory_limit(runner, source):
    start = time.monotonic()
    assert runner.run(source).error == "memory limit"
    assert time.monotonic() - start < 2  # refused by RLIMIT_AS at once, not swapped in
    still_works(runner)


@pytest.mark.parametrize("template", [
    "open({target!r}, 'w').write('x')",
    "open({target!r}, 'a').write('x')",
    "import os\nos.close(os.open({target!r}, os.O_WRONLY | os.O_CREAT))",
    "import pathlib\npathlib.Path({target!r}).write_text('x')",
    "import os\nos.mkdir({target!r})",
    "import os\nos.symlink({target!r}, 'link')\nopen('link', 'w').write('x')",
    "open('inside', 'w').write('x')\nimport os\nos.rename('inside', {target!r})",
    "import shutil\nopen('inside', 'w').write('x')\nshutil.copy('inside', {target!r})",
    "import os\nfd = os.open({parent!r}, os.O_RDONLY)\nos.close(os.open('evil', os.O_WRONLY | os.O_CREAT, dir_fd=fd))",
])
def test_writes_outside_the_temp_dir_are_blocked(runner, tmp_path, template):
    target = tmp_path / "evil"
    result = runner.run(template.format(target=str(target), parent=str(tmp_path)))
    assert result.error and result.error.startswith("blocked:"), result
    assert list(tmp_path.iterdir()) == []  # nothing written, created or linked
    still_works(runner)


def test_writes_inside_the_temp_dir_work_and_are_cleaned_up(runner):
    result = runner.run("open('a.txt', 'w').write('hello')\nprint(open('a.txt').read())")
    assert result.ok and result.stdout == "hello\n"
    assert runner.run("import os\nprint(os.listdir('.'))").stdout == "[]\n"


def test_socket_is_blocked_and_nothing_connects(runner):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.2)
        port = server.getsockname()[1]
        source = f"import socket\ns = socket.socket()\ns.connect(('127.0.0.1', {port}))\nprint('connected')"
        result = runner.run(source)
        assert result.error == "blocked: socket.__new__"
        assert "connected" not in result.stdout
        with pytest.raises(TimeoutError):
            server.accept()
    still_works(runner)


def test_a_caught_violation_still_fails_the_snippet(runner):
    source = "try:\n    import socket\n    socket.create_connection(('example.com', 80))\nexcept Exception:\n    pass\nprint('fine')"
    result = runner.run(source)
    assert result.stdout == "fine\n" and result.error.startswith("blocked: socket.")


@pytest.mark.parametrize(("template", "reason"), [
    ("import subprocess\nsubprocess.run(['touch', {marker!r}])", "blocked: import _posixsubprocess"),
    ("import os\nos.system('touch {marker}')", "blocked: os.system"),
    ("import os\nif os.fork() == 0:\n    open({marker!r}, 'w')", "blocked: os.fork"),
    ("import os\nos.execv('/usr/bin/touch', ['touch', {marker!r}])", "blocked: os.exec"),
    ("import os\nos.posix_spawn('/usr/bin/touch', ['touch', {marker!r}], {{}})", "blocked: os.posix_spawn"),
    ("import ctypes", "blocked: import _ctypes"),
    ("import os\nos.kill(os.getppid(), 9)", "blocked: os.kill"),
])
def test_processes_ctypes_and_signals_are_blocked(runner, tmp_path, template, reason):
    marker = tmp_path / "spawned"
    assert runner.run(template.format(marker=str(marker))).error == reason
    assert not marker.exists()
    still_works(runner)


def test_a_crashing_snippet_is_recorded_and_the_child_replaced(runner):
    assert runner.run("import os\nos.abort()").error == "crashed: SIGABRT"
    assert runner.restarts == 1
    still_works(runner)


def test_output_is_capped(runner):
    assert runner.run("while True:\n    print('spam' * 1000)").error == "output limit"
    still_works(runner)


def test_writing_to_the_protocol_descriptors_cannot_forge_a_result(runner):
    result = runner.run("import os\nos.write(1, b'\\x00\\x00\\x00\\x02{}')\nprint(5)")
    assert result.ok and result.stdout == "5\n"


def test_results_are_cached_by_source(runner):
    source = "import time\ntime.sleep(0.3)\nprint('slept')"
    assert runner.run(source).stdout == "slept\n"
    start = time.monotonic()
    assert runner.run(source).stdout == "slept\n"
    assert time.monotonic() - start < 0.25  # not run again


def test_close_ends_the_child_and_removes_its_directory():
    runner = SandboxRunner(QUICK)
    pid = int(runner.run("import os\nprint(os.getpid())").stdout)
    tmp = runner.tmp
    assert os.path.isdir(tmp)
    runner.close()
    assert not os.path.exists(tmp)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_limits_are_validated():
    with pytest.raises(ValueError, match="wall_s"):
        Limits(wall_s=0)
