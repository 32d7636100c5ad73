"""Run one check in a child process, so that a crash in native code becomes a line.

A check is a function ``check() -> Result`` named ``"package.module:function"``. The child
(``python -m im4talkin.diagnose.runner TARGET OUT``) imports it, runs it and writes the
result as JSON to the file OUT; whatever native libraries print on stdout and stderr stays
out of it. A child killed by a signal (SIGILL from CPU instructions the machine refuses,
SIGSEGV, the out-of-memory killer's SIGKILL) or one that runs past its time is a failed
check with a sentence saying so.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

OK, WARN, FAIL = "ok", "warn", "fail"

SIGNAL_WORDS = {
    signal.SIGILL: "illegal instruction: the code uses CPU instructions this machine refuses",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGBUS: "bus error",
    signal.SIGABRT: "aborted",
    signal.SIGKILL: "killed (out of memory?)",
    signal.SIGFPE: "arithmetic error",
}


@dataclass
class Result:
    """One check's outcome: ``status`` is ok, warn (works, with a limit) or fail."""

    name: str
    status: str
    detail: str
    fix: str = ""


def describe_exit(code: int, stderr: str = "") -> str:
    """A sentence for a child's exit status: the signal that killed it, or its last words."""
    if code < 0:
        try:
            sig = signal.Signals(-code)
        except ValueError:
            return f"crashed (signal {-code})"
        return f"crashed with {sig.name} ({SIGNAL_WORDS.get(sig, 'killed')})"
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return f"exited with status {code}" + (f": {lines[-1].strip()[:200]}" if lines else "")


def run_check(
    name: str, target: str, timeout: float = 300.0, crash_fix: str = "", env=None
) -> Result:
    """Run ``target`` in a child process; any way it can fail becomes a failed Result."""
    with tempfile.TemporaryDirectory(prefix="im4talkin-check-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "im4talkin.diagnose.runner", target, str(out)]
        try:
            proc = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                timeout=timeout,
                env={**os.environ, **(env or {})},
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return Result(name, FAIL, f"no answer in {timeout:.0f} s", crash_fix)
        if out.is_file():
            try:
                data = json.loads(out.read_text())
                return Result(name, data["status"], data["detail"], data.get("fix", ""))
            except (ValueError, KeyError):
                pass
        return Result(name, FAIL, describe_exit(proc.returncode, proc.stderr), crash_fix)


def _child(target: str, out: str) -> None:
    from ..errors import Im4talkinError

    module, _, func = target.partition(":")
    try:
        result = getattr(importlib.import_module(module), func)()
        data = {"status": result.status, "detail": result.detail, "fix": result.fix}
    except Im4talkinError as err:
        data = {"status": FAIL, "detail": str(err), "fix": ""}
    except Exception as err:  # a check that broke: say what, not a traceback
        where = traceback.extract_tb(err.__traceback__)[-1]
        detail = f"{type(err).__name__}: {err} ({Path(where.filename).name}:{where.lineno})"
        data = {"status": FAIL, "detail": detail, "fix": ""}
    Path(out).write_text(json.dumps(data))


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
    sys.stdout.flush()
    os._exit(0)  # skip native libraries' exit handlers: the result is written
