"""Sounds said as other sounds, over time: stored from spoken turns and readings, reported by
week (``report --json`` figures computed here from the seeding, never by the report code)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from im4talkin.feedback.pronunciation import WordSounds
from im4talkin.store.db import SessionInfo, Store

from .seed import result


def flagged(word: str, expected: str, heard: str) -> WordSounds:
    return WordSounds(
        word, (expected,), (heard,), (10,), 10, False, f"{word}: x", (expected, heard), 4.0
    )


def test_spoken_turns_and_readings_keep_their_sound_errors(home):
    store = Store()
    sid = store.start_session("ana", SessionInfo("travel", "B1", "embedded", "qwen"), "Hi?")
    turn = result(1, "I think so", spoken=True)
    turn.sounds = (flagged("think", "θ", "s"),)
    store.save_turn(sid, turn, seconds=2.0)
    rid = store.add_reading("ana", "travel", 0, "Very good.", "very good", 0.0, 100, 1.0)
    ana = store.learner_id("ana")
    store.add_sound_errors(ana, [("very", "v", "w"), ("good", "d", "")], reading_id=rid)
    store.add_sound_errors(ana, [("very", "v", "w")], reading_id=rid)  # read again: replaced
    rows = [
        (r["word"], r["expected"], r["heard"], r["turn_id"] is not None)
        for r in store.sound_errors("ana")
    ]
    assert rows == [("think", "θ", "s", True), ("very", "v", "w", False)]
    assert store.sound_errors("bob") == []
    store.close()


def test_the_report_counts_each_sound_by_week(cli, home, tmp_path):
    now = datetime.now().astimezone()  # weeks are the learner's local weeks
    monday = (now - timedelta(days=now.weekday())).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    seeded = {  # days before this week's Monday 09:00 (negative: this week) -> changes
        0: [("think", "θ", "s"), ("thank", "θ", "s")],
        3: [("three", "θ", "s"), ("think", "θ", "s"), ("very", "v", "w")],
        10: [("thin", "θ", "s"), ("thing", "θ", "s"), ("bath", "θ", "s"), ("card", "d", "")],
    }
    store = Store()
    ana = store.learner_id("ana")
    store.add_reading("ana", "travel", 0, "I think so.", "i think so", 0.0, 100, 1.0)
    for days, changes in seeded.items():
        store.add_sound_errors(ana, changes, at=monday - timedelta(days=days))
    store.close()
    code, out, err = cli("report", "--learner", "ana", "--json")
    assert code == 0, err
    sounds = json.loads(out)["speech"]["sounds"]
    got = [(s["expected"], s["heard"], s["count"]) for s in sounds]
    assert got == [("θ", "s", 7), ("d", "", 1), ("v", "w", 1)]  # most first, then by sound
    th = sounds[0]
    assert (th["this_week"], th["last_week"]) == (2, 2)
    assert [w["count"] for w in th["by_week"]] == [3, 2, 2]
    assert th["words"][0] == "think"
    code, out, err = cli("report", "--learner", "ana")
    assert code == 0, err
    assert "Sounds to work on" in out and "/θ/ as /s/" in out and "/d/ left out" in out
    page = tmp_path / "report.html"
    code, out, err = cli("report", "--learner", "ana", "--html", str(page))
    assert code == 0, err
    html = page.read_text(encoding="utf-8")
    assert "<h3>Sounds to work on</h3>" in html and "<td>/θ/</td>" in html
    assert "<td>7</td><td>2</td><td>2</td><td>think, " in html  # think twice, the most


def test_a_spoken_turn_notes_a_sound_and_the_report_shows_it(cli, spoken_turn):
    turn = spoken_turn("She wants a [[w'Eri]] small cake.", "--no-llm-feedback")
    assert turn["transcript"] == "She wants a very small cake."
    (very,) = turn["pronunciation"]
    assert (very["word"], very["expected"], very["ok"]) == ("very", "vɛɹi", False)
    assert very["note"].startswith("very: the first sound was /w/ - ")
    code, out, err = cli("report", "--json")
    assert code == 0, err
    assert [
        (s["expected"], s["heard"], s["words"]) for s in json.loads(out)["speech"]["sounds"]
    ] == [("v", "w", ["very"])]
