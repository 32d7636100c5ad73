"""The interactive loop in a real process: typed turns on stdin, /quit, Ctrl-C."""

import copy
import os
import signal
import subprocess
import sys
import time

import numpy as np

from im4talkin.config import override
from im4talkin.store.db import Store
from im4talkin.tutor import session
from im4talkin.tutor.build import build_conversation
from im4talkin.tutor.topics import load_topic


def _start(home, *args):
    env = {**os.environ, "IM4TALKIN_HOME": str(home), "COLUMNS": "120"}
    return subprocess.Popen(
        [sys.executable, "-m", "im4talkin", "talk", "--llm", "smollm2", "--no-llm-feedback", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _turns(home):
    store = Store()
    return [t for s in store.sessions("default") for t in store.turns(s["id"])]


def test_typed_turns_then_quit(home):
    proc = _start(home, "--topic", "shopping")
    out, err = proc.communicate("\ni am looking for a warm jacket\n/quit\n", timeout=300)
    assert proc.returncode == 0, err
    assert "Type a sentence" in out  # the empty line got a hint, not an error
    assert "Priya:" in out and "feedback" in out and "session summary" in out
    assert [t["text"] for t in _turns(home)] == ["i am looking for a warm jacket"]


def test_ctrl_c_ends_cleanly_and_keeps_the_session(home):
    proc = _start(home)
    proc.stdin.write("she speak english very well\n")
    proc.stdin.flush()
    deadline = time.time() + 300
    while time.time() < deadline and not _saved(home):
        time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "session summary" in out
    (turn,) = _turns(home)
    assert turn["corrections"][0]["corrected"] == "speaks"


def _saved(home):
    try:
        return bool(_turns(home))
    except Exception:
        return False


def test_a_long_session_stays_inside_a_small_context(settings, home):
    small = override(
        copy.deepcopy(settings), llm__name="smollm2", llm__n_ctx=512, feedback__llm=False
    )
    convo = build_conversation(small, load_topic("hobbies"))
    convo.open()
    assert convo.partner.preamble == []  # the role-play's examples do not fit in 512 tokens
    for i in range(14):
        result = convo.turn(f"on day {i} i played football with my brother and we won the game")
        assert result.reply.strip()
    context = convo.partner._context()
    used = sum(convo.partner.model.count_tokens(t.content) + 8 for t in context)
    assert used <= 512 and context[0].role == "system" and len(context) < 29


def test_one_prefill_worker_per_partner_joined_at_close(settings, home):
    small = override(copy.deepcopy(settings), llm__name="smollm2", feedback__llm=False)
    convo = build_conversation(small, load_topic("hobbies"))
    convo.open()
    partner = convo.partner
    partner.prefill_in_background()
    first = partner._worker
    partner.prefill_in_background()  # while it runs: the same worker, not a second one
    assert partner._worker is first or not first.is_alive()
    partner.close()
    assert partner._worker is None and not first.is_alive()
    assert convo.turn("i like to read books in the evening").reply.strip()  # model still whole


def test_an_enter_pressed_after_the_recording_cap_does_not_start_a_recording():
    from rich.console import Console

    from im4talkin.audio.io import Clip
    from im4talkin.cli.record import push_to_talk

    class Capped:
        max_seconds = 30

        def record(self, should_stop, on_level, on_audio=None):
            return Clip(np.zeros(16000, np.float32),
                        notes=["recording stopped at the 30 s limit of one turn"])  # fmt: skip

    asked = []
    console = Console(file=open(os.devnull, "w"))  # noqa: SIM115
    console.input = lambda prompt="": asked.append(prompt) or ""
    push_to_talk(Capped(), console)
    assert len(asked) == 1 and "limit" in asked[0]  # the learner's Enter is taken here


def test_getting_ready_while_the_opener_plays_warms_every_text_stage(settings, home):
    """The partner reads the conversation and the language check and the fast feedback run
    once, in the background; the first turn waits for that, then runs as any other."""
    small = override(copy.deepcopy(settings), llm__name="smollm2", feedback__llm=False)
    convo = build_conversation(small, load_topic("hobbies"))
    seen = []
    real = convo.feedback.fast
    convo.feedback.fast = lambda text: seen.append(text) or real(text)
    convo.open()
    convo.get_ready()
    worker = convo._ready
    convo.get_ready()  # while it runs: the same worker
    assert convo._ready is worker
    result = convo.turn("i like to read books in the evening")
    assert not worker.is_alive() and convo._ready is None
    assert seen[0] == session.WARM_UP and seen[1] == "i like to read books in the evening"
    assert result.reply.strip() and convo.partner._prefilled
