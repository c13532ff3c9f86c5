"""The sandbox: hostile snippets are stopped with the right reason, the runner carries on, and
nothing outside the sandbox's own temporary directory is touched."""

from __future__ import annotations

import ast
import fcntl
import os
import re
import socket
import subprocess
import time
import warnings
from pathlib import Path

import pytest

import synthcompile.sandbox.runner as sandbox_runner
from synthcompile.sandbox import Limits, SandboxRunner, SandboxWarning, confine

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
    assert runner.restarts == 0  # the zygote killed the snippet's process and lives on
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
    source = ("try:\n    import socket\n    socket.create_connection(('example.com', 80))\n"
              "except Exception:\n    pass\nprint('fine')")
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


def test_a_crashing_snippet_is_recorded_and_the_child_lives_on(runner):
    assert runner.run("import os\nos.abort()").error == "crashed: SIGABRT"
    assert runner.restarts == 0
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
    pid = int(runner.run("import os\nprint(os.getppid())").stdout)  # the zygote's
    tmp = runner.tmp
    assert os.path.isdir(tmp)
    runner.close()
    assert not os.path.exists(tmp)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_limits_are_validated():
    with pytest.raises(ValueError, match="wall_s"):
        Limits(wall_s=0)


# --- The reviewer's escapes, and the kernel layers standing alone -----------------------------

def test_sqlite_and_xattr_outside_the_temp_dir_are_blocked(runner, tmp_path):
    db, target = tmp_path / "escape.db", tmp_path / "file"
    target.write_text("x")
    result = runner.run(f"import sqlite3\nc = sqlite3.connect({str(db)!r})\n"
                        "c.execute('create table t(x)')\nc.commit()")
    assert result.error == "blocked: sqlite3.connect outside the sandbox directory"
    result = runner.run(f"import os\nos.setxattr({str(target)!r}, 'user.x', b'1')")
    assert result.error == "blocked: os.setxattr outside the sandbox directory"
    assert [p.name for p in tmp_path.iterdir()] == ["file"] and os.listxattr(target) == []
    # Inside the temporary directory, an in-memory or on-disk database works.
    result = runner.run("import sqlite3\nc = sqlite3.connect('x.db')\nc.execute('create table t(x)')\n"
                        "print(sqlite3.connect(':memory:').execute('select 6*7').fetchone()[0])")
    assert result.ok and result.stdout == "42\n", result


@pytest.mark.parametrize("switch_off", [
    # The reviewer's two ways into the old harness's guard flag.
    "import signal\nh = signal.getsignal(signal.SIGALRM)\n[c.cell_contents for c in h.__closure__][0].active = False",
    "import sys\nsys._getframe(1).f_locals['self'].guard.active = False",
])
def test_the_old_guard_switches_reach_nothing(runner, tmp_path, switch_off):
    result = runner.run(f"{switch_off}\nopen({str(tmp_path / 'evil')!r}, 'w').write('x')")
    assert not result.ok
    assert list(tmp_path.iterdir()) == []
    still_works(runner)


def test_a_snippet_cannot_forge_the_results_of_later_snippets(runner):
    forge = ("import json\njson.dumps = lambda m, _d=json.dumps: "
             "_d({**m, 'out': '42\\n', 'err': None} if 'out' in m else m)")
    runner.run(forge)
    assert runner.run("print(1 + 1)").stdout == "2\n"
    assert runner.run("1 // 0").error.startswith("exception: ZeroDivisionError")
    runner.run("import builtins\nbuiltins.print = lambda *a, **k: None")
    assert runner.run("print(3)").stdout == "3\n"


# Switch off the audit hook from inside (its check method is reachable through the CPU timer's
# handler): what follows is refused by the kernel alone.
HOOK_OFF = ("import signal\nh = signal.getsignal(signal.SIGPROF)\n"
            "g = [c.cell_contents for c in h.__closure__ if hasattr(c.cell_contents, 'violation')][0]\n"
            "g.check = lambda *a: None\n")


def _layer(name: str) -> None:
    """Skip, saying so, when this machine does not offer a kernel layer the test relies on."""
    with SandboxRunner(QUICK) as probe:
        probe.run("pass")
        lacking = [m for m in probe.missing if m.startswith(name)]
    if lacking:
        pytest.skip(f"this machine lacks {lacking[0]}")


def test_the_audit_hook_can_be_switched_off_from_inside(runner, tmp_path):
    """The premise of the tests below: the Python layer alone would let these through."""
    result = runner.run(HOOK_OFF + f"import os\nprint(os.path.isdir({str(tmp_path)!r}))\nimport ctypes")
    assert result.ok and result.stdout == "True\n"


@pytest.mark.parametrize(("layer", "template"), [
    ("landlock", "open({target!r}, 'w').write('x')"),
    ("landlock", "import os\nos.mkdir({target!r})"),
    ("landlock", "import os\nos.symlink('/etc/passwd', {target!r})"),
    ("landlock", "import sqlite3\nc = sqlite3.connect({target!r})\nc.execute('create table t(x)')\nc.commit()"),
    ("landlock", "open('inside', 'w').write('x')\nimport os\nos.rename('inside', {target!r})"),
    ("capability", "import os\nos.setxattr({existing!r}, 'user.x', b'1')"),
    ("capability", "import os\nos.chmod({existing!r}, 0o777)"),
    ("capability", "import os\nos.utime({existing!r}, (0, 0))"),
    ("capability", "import os\nif os.fork() == 0:\n    open({target!r}, 'w')"),
    ("capability", "import os\nos.execv('/usr/bin/touch', ['touch', {target!r}])"),
    ("capability", "import os\nos.truncate({existing!r}, 0)"),
])
def test_the_kernel_refuses_without_the_audit_hook(runner, tmp_path, layer, template):
    _layer(layer)
    existing, target = tmp_path / "existing", tmp_path / "evil"
    existing.write_text("keep")
    before = existing.stat()
    result = runner.run(HOOK_OFF + template.format(target=str(target), existing=str(existing)))
    assert result.error and ("PermissionError" in result.error or "unable to open" in result.error), result
    assert not os.path.lexists(target)
    after = existing.stat()
    assert (after.st_mode, after.st_mtime_ns, existing.read_text()) == (before.st_mode, before.st_mtime_ns, "keep")
    assert os.listxattr(existing) == []
    still_works(runner)


def test_the_kernel_refuses_sockets_without_the_audit_hook(runner):
    _layer("capability")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.2)
        port = server.getsockname()[1]
        for source in (f"import socket\nsocket.create_connection(('127.0.0.1', {port}))",
                       "import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect('/run/x.sock')"):
            result = runner.run(HOOK_OFF + source)
            assert "PermissionError" in result.error, result
        with pytest.raises(TimeoutError):
            server.accept()


def test_a_snippet_cannot_kill_the_zygote_without_the_audit_hook(runner):
    _layer("capability")
    zygote = int(runner.run("import os\nprint(os.getppid())").stdout)
    result = runner.run(HOOK_OFF + "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")
    assert "PermissionError" in result.error
    assert runner.run("import os\nprint(os.getppid())").stdout == f"{zygote}\n"
    assert runner.restarts == 0


def test_a_missing_kernel_layer_is_reported_and_warned(tmp_path, monkeypatch):
    """On a kernel without Landlock the sandbox still runs, and says what it lacks."""
    import synthcompile.sandbox.runner as sandbox

    fake = tmp_path / "confine.py"
    fake.write_text(sandbox.CONFINE_SCRIPT.read_text() + "\n\ndef landlock_abi():\n    return 0\n")
    monkeypatch.setattr(sandbox, "CONFINE_SCRIPT", fake)
    monkeypatch.setattr(sandbox, "_warned", set())
    with pytest.warns(sandbox.SandboxWarning, match="landlock"):
        with SandboxRunner(QUICK) as runner:
            assert runner.run("print(2)").stdout == "2\n"
            assert any(m.startswith("landlock") for m in runner.missing)


# --- The hostile-snippet corpus, on this kernel and with Landlock capped at ABI 4 -------------

CORPUS = Path(__file__).parent / "sandbox_corpus"
CORPUS_CASES = sorted(p for p in CORPUS.glob("*.py") if not p.name.startswith("_"))
PREAMBLE = (CORPUS / "_preamble.py").read_text()
# cpu_s well under RLIMIT_CPU (2 s), so that the timer-off case can pass the one and not the other.
CORPUS_LIMITS = Limits(wall_s=2.0, cpu_s=0.5, grace_s=1.0, memory_mb=256)
LAYER_MISSING = {"seccomp": "capability drop and seccomp (", "landlock": "landlock ("}


def capped_confine(directory: Path, abi: int, *, seccomp: bool = True) -> Path:
    """A copy of confine.py that uses at most Landlock ABI ``abi``, as a kernel that old offers it
    (no signal scoping below 6), and optionally no seccomp filter. The child loads confine.py by
    path, so a copy is all a test needs; the shipped code has no switch for it."""
    path = directory / f"confine_abi{abi}{'' if seccomp else '_noseccomp'}.py"
    text = sandbox_runner.CONFINE_SCRIPT.read_text()
    text += f"\n\n_kernel_abi = landlock_abi\n\n\ndef landlock_abi():\n    return min(_kernel_abi(), {abi})\n"
    if not seccomp:
        text += "\n\ndef seccomp():\n    pass\n"
    path.write_text(text)
    return path


def start_runner(confine_script: Path | None) -> tuple[SandboxRunner, int]:
    """A runner whose zygote is already running with ``confine_script``, and the zygote's pid."""
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore", SandboxWarning)  # the capped ABI is the point here
        if confine_script is not None:
            mp.setattr(sandbox_runner, "CONFINE_SCRIPT", confine_script)
        runner = SandboxRunner(CORPUS_LIMITS)
        zygote = int(runner.run("import os\nprint(os.getppid())").stdout)
    return runner, zygote  # a restarted zygote would load the real confine.py: tests check restarts


def read_case(path: Path) -> dict:
    """A case's header: ``# expect:`` (ok, or a prefix of the error), ``# stdout:`` (a Python
    literal, for ok), ``# needs:`` (kernel layers it tests)."""
    header = dict(re.findall(r"^# (expect|stdout|needs): ?(.*)$", path.read_text(), re.M))
    if "expect" not in header:
        raise ValueError(f"{path.name}: no '# expect:' line")
    if header["expect"] == "ok" and "stdout" not in header:
        raise ValueError(f"{path.name}: an ok case needs '# stdout:'")
    needs = [n.strip() for n in header.get("needs", "").split(",") if n.strip()]
    if unknown := set(needs) - set(LAYER_MISSING):
        raise ValueError(f"{path.name}: unknown layers {sorted(unknown)}")
    stdout = ast.literal_eval(header["stdout"]) if "stdout" in header else None
    return {"expect": header["expect"], "stdout": stdout, "needs": needs}


def corpus_source(case_text: str, outside: Path, target: int) -> str:
    return f"OUTSIDE = {str(outside)!r}\nTARGET = {target}\n{PREAMBLE}\n{case_text}"


def outside_state(directory: Path) -> list:
    """Everything a case could change; ctime moves with any metadata change (flags, xattrs...)."""
    def flags(path: Path) -> bytes | None:  # FS_IOC_GETFLAGS, where the file system has them
        fd = os.open(path, os.O_RDONLY)
        try:
            return fcntl.ioctl(fd, 0x80086601, bytes(8))
        except OSError:
            return None
        finally:
            os.close(fd)

    return [(p.name, p.read_bytes(), p.stat().st_mode, p.stat().st_mtime_ns, p.stat().st_ctime_ns,
             os.listxattr(p), flags(p)) for p in sorted(directory.iterdir())]


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    directory = tmp_path_factory.mktemp("outside")
    (directory / "keep").write_text("keep")
    return directory


@pytest.fixture(scope="module")
def target():
    """A process of the same uid as the sandbox, which no case may signal."""
    proc = subprocess.Popen(["sleep", "600"])
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture(scope="module", params=["native", "abi4"])
def corpus_runner(request, tmp_path_factory):
    capped = capped_confine(tmp_path_factory.mktemp("confine"), 4) if request.param == "abi4" else None
    runner, zygote = start_runner(capped)
    if capped is not None and confine.landlock_abi() >= 4:
        assert "landlock signal scoping (kernel ABI 4 < 6)" in runner.missing  # the cap took
    yield runner, zygote
    runner.close()


def test_the_corpus_covers_every_kind_of_attack():
    names = [p.stem for p in CORPUS_CASES]
    assert {n.split("_")[0] for n in names} >= {
        "write", "exec", "fork", "socket", "signal", "ptrace", "mount", "rlimit", "forge", "benign"}
    signals = " ".join(n for n in names if n.startswith("signal"))
    for way in ("kill_parent_kernel", "kill_target", "tkill", "tgkill_target", "tgkill_parent", "sigqueue_target",
                "sigqueue_parent", "tgsigqueue_target", "tgsigqueue_parent", "pidfd", "fsetown", "fiosetown"):
        assert way in signals, way
    for case in CORPUS_CASES:
        read_case(case)  # every header parses


@pytest.mark.parametrize("case", CORPUS_CASES, ids=lambda p: p.stem)
def test_corpus(corpus_runner, outside, target, case):
    """Every hostile case is refused or detected, with the verdict its header names, and leaves
    no trace: the outside directory, the target process and the zygote are as they were."""
    runner, zygote = corpus_runner
    spec = read_case(case)
    lacking = [m for m in runner.missing for layer in spec["needs"] if m.startswith(LAYER_MISSING[layer])]
    if lacking:
        pytest.skip(f"this machine lacks {lacking[0]}")
    before = outside_state(outside)
    result = runner.run(corpus_source(case.read_text(), outside, target.pid))
    if spec["expect"] == "ok":
        assert result.ok and result.stdout == spec["stdout"], result
    else:
        assert result.error is not None and result.error.startswith(spec["expect"]), result
    assert outside_state(outside) == before
    assert target.poll() is None, "the target process was killed"
    assert runner.restarts == 0
    after = runner.run(f"import os\nprint(os.getppid())  # after {case.stem}")
    assert after.ok and after.stdout == f"{zygote}\n", after  # the same zygote, still answering


SIGNAL_OUT = {  # sent to TARGET by a snippet with the guard off
    "rt_sigqueueinfo": "guard_off()\nsyscall('rt_sigqueueinfo', 129, TARGET, 9, siginfo(9))",
    "F_SETOWN SIGIO": "guard_off()\nimport fcntl\nr, w = os.pipe()\nfcntl.fcntl(r, fcntl.F_SETOWN, TARGET)\n"
                      "fcntl.fcntl(r, fcntl.F_SETFL, os.O_ASYNC)\nos.write(w, b'x')",
}


@pytest.mark.parametrize(("abi", "delivered"), [(None, False), (4, True)], ids=["native", "abi4"])
@pytest.mark.parametrize("way", SIGNAL_OUT)
def test_without_seccomp_signal_isolation_rests_on_the_landlock_abi(tmp_path, outside, abi, delivered, way):
    """The premise of the corpus's signal cases under ABI 4 (the probe's finding, reproduced): with
    the seccomp filter left out, only Landlock's signal scoping (ABI >= 6) stands between a
    snippet and the processes of its uid. Below it, a signal gets out."""
    kernel_abi = confine.landlock_abi()
    if kernel_abi < 6 and abi is None:
        pytest.skip(f"this kernel's Landlock ABI is {kernel_abi}: no signal scoping to test")
    if kernel_abi == 0:
        pytest.skip("this kernel has no Landlock")
    runner, _ = start_runner(capped_confine(tmp_path, abi or kernel_abi, seccomp=False))
    victim = subprocess.Popen(["sleep", "60"])
    try:
        runner.run(corpus_source(SIGNAL_OUT[way], outside, victim.pid))
        try:
            victim.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass
        assert (victim.poll() is not None) == delivered
    finally:
        victim.kill()
        victim.wait()
        runner.close()


def test_seccomp_numbers_match_the_kernel_headers():
    headers = [Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"), Path("/usr/include/asm/unistd_64.h")]
    header = next((h for h in headers if h.exists()), None)
    if header is None:
        pytest.skip("no x86_64 kernel headers installed")
    table = {name: int(nr) for name, nr in re.findall(r"#define __NR_(\w+) (\d+)", header.read_text())}
    named = {**confine.DENIED_X86_64, "tgkill": confine.TGKILL_X86_64, "fcntl": confine.FCNTL_X86_64,
             "ioctl": confine.IOCTL_X86_64, "capset": confine.CAPSET_X86_64,
             "prlimit64": confine.PRLIMIT64_X86_64}
    assert {n: nr for n, nr in named.items() if n in table} == {n: table[n] for n in named if n in table}
    # Names these headers do not know must be newer system calls, numbered past their last one.
    assert all(nr > max(table.values()) for n, nr in named.items() if n not in table)
