"""Learners' data under real names, old layouts, failed writes and two processes at once."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from im4talkin.audio.io import load_audio
from im4talkin.cli import finetune as finetune_cli
from im4talkin.errors import StorageError
from im4talkin.finetune import adapt
from im4talkin.finetune.runs import active_folder, learner_dir
from im4talkin.messages import Feedback, TurnResult
from im4talkin.store.db import SessionInfo, Store
from im4talkin.store.files import write_file
from im4talkin.store.migrations import MIGRATIONS
from im4talkin.tutor.topics import load_topic

TRAVEL = load_topic("travel").reading
INFO = SessionInfo("travel", "B1", "embedded", "qwen")


def _samples(path) -> np.ndarray:
    return sf.read(str(path), dtype="float32")[0]


# --- the one file writer -----------------------------------------------------------------


def test_a_file_is_written_whole_or_not_at_all(tmp_path):
    path = write_file(tmp_path / "a" / "x.json", '{"ok": 1}')
    assert json.loads(path.read_text()) == {"ok": 1}

    def dies(tmp):
        tmp.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(StorageError, match=r"cannot write .*x\.json \(No space left on device\)"):
        write_file(path, dies)
    assert json.loads(path.read_text()) == {"ok": 1}  # the old file is whole
    assert sorted(p.name for p in path.parent.iterdir()) == ["x.json"]  # no temp left
    with pytest.raises(StorageError, match="a file is already there; nothing was replaced"):
        write_file(path, "other", exclusive=True)
    assert json.loads(path.read_text()) == {"ok": 1}


# --- learners whose names are not folder names ------------------------------------------


def test_two_learners_named_in_cyrillic_keep_their_own_readings_and_train_on_them(
    cli, speech, home, tmp_path, monkeypatch
):
    """Анна and Иван read the same two sentences in two voices: each one's rows point at
    their own recording, in their own folder, and finetune gets each one's own audio."""
    voices = {
        "Анна": [speech(s) for s in TRAVEL[:2]],  # Piper
        "Иван": [tmp_path / f"ivan{i}.wav" for i in range(2)],  # espeak-ng
    }
    for path, text in zip(voices["Иван"], TRAVEL[:2], strict=True):
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), text], check=True)
    for who, clips in voices.items():
        args = sum((["--input-audio", str(c)] for c in clips), [])
        code, _, err = cli("enroll", "--learner", who, "--topic", "travel", "--json", *args)
        assert code == 0, err
    store = Store()
    folders = {who: store.folder(who) for who in voices}
    rows = {who: store.readings(who) for who in voices}
    assert folders["Анна"] != folders["Иван"]
    assert learner_dir(store, "Анна") != learner_dir(store, "Иван")
    store.close()
    files = [r["audio"] for who in voices for r in rows[who]]
    assert len(set(files)) == 4  # nobody's recording replaced another's
    for who, clips in voices.items():
        assert [r["sentence"] for r in rows[who]] == [0, 1]
        for row, clip in zip(rows[who], clips, strict=True):
            assert os.path.dirname(row["audio"]).startswith(str(folders[who]))
            heard = _samples(row["audio"])
            ref = np.clip(load_audio(clip).samples, -1, 1)  # Piper can peak past full scale
            assert np.allclose(heard, ref, atol=2e-4), (who, row["sentence"])

    seen: dict[str, list[np.ndarray]] = {}

    class Spy:  # what finetune would train on, then stop (the training is tested elsewhere)
        def __init__(self, job, rows, clips, *rest):
            seen[job.settings.learner] = [clips[r["id"]] for r in rows]
            raise KeyboardInterrupt

    monkeypatch.setattr(finetune_cli, "MIN_SENTENCES", 2)
    monkeypatch.setattr(adapt, "Run", Spy)
    for who, clips in voices.items():
        code, _, err = cli("finetune", "--learner", who)
        assert code == 130, err
        assert len(seen[who]) == 2
        for got, clip in zip(seen[who], clips, strict=True):
            assert np.allclose(got, np.clip(load_audio(clip).samples, -1, 1), atol=2e-4)


def test_a_passage_file_is_known_by_its_sentences_not_its_name(cli, speech, home, tmp_path):
    one, two = tmp_path / "a" / "week.txt", tmp_path / "b" / "week.txt"
    for path, text in ((one, TRAVEL[0]), (two, TRAVEL[1])):
        path.parent.mkdir()
        path.write_text(text + "\n")
    for path, text in ((one, TRAVEL[0]), (two, TRAVEL[1])):
        code, out, err = cli(
            "enroll", "--passages", str(path), "--json", "--input-audio", str(speech(text))
        )
        assert code == 0, err
        assert json.loads(out)["reference"] == text  # the second file was not "all read"
    store = Store()
    passages = {r["passage"] for r in store.readings("default")}
    store.close()
    assert len(passages) == 2 and all(p.startswith("file:week:") for p in passages)


# --- an old data dir ---------------------------------------------------------------------


def _old_layout(home):
    """A data dir as im4talkin wrote it before schema 6: folders by sanitised name, so
    "Анна" and "Иван" shared ``_``, and Иван's take of sentence 0 replaced Анна's."""
    home.mkdir(parents=True)
    conn = sqlite3.connect(home / "im4talkin.db")
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
    for version, sql in enumerate(MIGRATIONS[:4], start=1):
        conn.executescript(sql)
        conn.execute("INSERT INTO schema_migrations(version) VALUES (?)", (version,))
    tone = {k: np.sin(np.arange(16000) * f / 16000).astype("float32") * 0.3 for k, f in
            (("anna0", 900), ("ivan0", 1700), ("anna1", 2500), ("turn", 3300))}  # fmt: skip
    shared = home / "enrolment" / "_" / "travel"
    shared.mkdir(parents=True)
    sf.write(shared / "0000.flac", tone["ivan0"], 16000)  # Иван's take replaced Анна's
    sf.write(shared / "0001.flac", tone["anna1"], 16000)
    turn = home / "recordings" / "session-1" / "turn-1.flac"
    turn.parent.mkdir(parents=True)
    sf.write(turn, tone["turn"], 16000)
    model = home / "asr" / "_" / "whisper-base-20260101-120000"
    model.mkdir(parents=True)
    (model / "model.bin").write_bytes(b"weights")
    (home / "asr" / "_" / "work").mkdir()
    conn.execute("INSERT INTO learners(name) VALUES ('Анна'), ('Иван')")
    add = (
        "INSERT INTO readings(learner_id, passage, sentence, reference, transcript, wer, score,"
        " seconds, audio, created_at) VALUES (?, 'travel', ?, 'x', 'x', 0, 90, 1, ?, ?)"
    )
    conn.execute(add, (1, 0, str(shared / "0000.flac"), "2026-01-01T10:00:00.000Z"))
    conn.execute(add, (2, 0, str(shared / "0000.flac"), "2026-01-02T10:00:00.000Z"))
    conn.execute(add, (1, 1, str(shared / "0001.flac"), "2026-01-03T10:00:00.000Z"))
    conn.execute(
        "INSERT INTO sessions(learner_id, topic, level, profile, llm) VALUES (1, 'travel', 'B1',"
        " 'embedded', 'qwen')"
    )
    conn.execute(
        "INSERT INTO turns(session_id, turn, input, text, corrections, praise, reply, timings,"
        " recording) VALUES (1, 1, 'audio', 'hello', '[]', '', 'Hi!', '{}', ?)",
        (str(turn),),
    )
    conn.execute(
        "INSERT INTO finetunes(learner_id, profile, asr_model, wer_before, wer_after, activated,"
        " details) VALUES (1, 'embedded', 'whisper-base', 0.3, 0.2, 1, ?)",
        (json.dumps({"path": str(model), "change": -0.33}),),
    )
    conn.commit()
    conn.close()
    return tone


def test_an_old_data_dir_moves_into_each_learners_folder_with_nothing_lost(home):
    tone = _old_layout(home)
    store = Store()
    anna, ivan = store.readings("Анна"), store.readings("Иван")
    (turn,) = store.turns(store.sessions("Анна")[0]["id"])
    anna_dir, ivan_dir = store.folder("Анна"), store.folder("Иван")
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()
    # the shared file is Иван's (he wrote it last); Анна's reading keeps its text, not his voice
    assert anna[0]["audio"] is None and anna[0]["transcript"] == "x"
    assert np.allclose(_samples(ivan[0]["audio"]), tone["ivan0"], atol=1e-4)
    assert ivan[0]["audio"].startswith(str(ivan_dir / "enrolment"))
    assert np.allclose(_samples(anna[1]["audio"]), tone["anna1"], atol=1e-4)
    assert anna[1]["audio"].startswith(str(anna_dir / "enrolment"))
    assert turn["recording"].startswith(str(anna_dir / "recordings"))
    assert np.allclose(_samples(turn["recording"]), tone["turn"], atol=1e-4)
    model = active_folder("Анна", "whisper-base")
    assert model == anna_dir / "asr" / "whisper-base-20260101-120000"
    assert (model / "model.bin").read_bytes() == b"weights"
    for old in ("enrolment", "recordings", "asr"):  # nothing is left in the old folders
        assert not (home / old).exists(), list((home / old).rglob("*"))
    Store().close()  # and a second start changes nothing
    store = Store()
    assert store.readings("Иван")[0]["audio"] == ivan[0]["audio"]
    store.close()


def _open_store(home: str) -> int:
    os.environ["IM4TALKIN_HOME"] = home
    store = Store()
    n = store.conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0]
    store.learner_id("same")
    store.close()
    return n


def test_two_first_runs_at_once_migrate_once(home):
    home.mkdir(parents=True)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        counts = pool.map(_open_store, [str(home)] * 4)
    assert counts == [len(MIGRATIONS)] * 4
    store = Store()
    assert store.learner_names() == ["same"]
    store.close()


# --- database errors ---------------------------------------------------------------------


def test_a_locked_database_is_one_line_and_loses_nothing(home):
    store = Store()
    sid = store.start_session("ana", INFO, "Hi?")
    store.save_turn(sid, TurnResult(1, "travel", "text", "first", Feedback((), ""), "Ok."))
    store.conn.execute("PRAGMA busy_timeout=50")
    other = sqlite3.connect(home / "im4talkin.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    with pytest.raises(StorageError) as err:
        store.save_turn(sid, TurnResult(2, "travel", "text", "second", Feedback((), ""), "Ok."))
    assert "locked" in str(err.value) and "try again" in str(err.value)
    assert "\n" not in str(err.value)
    other.execute("ROLLBACK")
    other.close()
    assert [t["text"] for t in store.turns(sid)] == ["first"]
    store.close()


# --- talk: a write that fails mid-session ------------------------------------------------


def test_a_recording_that_cannot_be_written_keeps_the_turn_and_the_session(
    cli, cached_models, home, tmp_path
):
    store = Store()
    (store.folder("default") / "recordings").parent.mkdir(parents=True)
    (store.folder("default") / "recordings").write_text("in the way")  # no folder can go there
    store.close()
    wavs = []
    for i, text in enumerate(["i like my dog very much", "yesterday i go to the park"]):
        wavs += ["--input-audio", str(tmp_path / f"{i}.wav")]
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", wavs[-1], text], check=True)
    args = ("talk", "--llm", "smollm2", "--no-speak", "--no-llm-feedback", "--json")
    code, out, err = cli(*args, *wavs)
    assert code == 0, err
    assert "Traceback" not in err and "saved without its recording" in err
    printed = [json.loads(line) for line in out.splitlines()]
    assert [p["turn"] for p in printed] == [1, 2] and all(p["recording"] is None for p in printed)
    store = Store()
    turns = store.turns(store.sessions("default")[0]["id"])
    store.close()
    assert [t["text"] for t in turns] == [p["transcript"] for p in printed]


def test_a_turn_the_database_refuses_is_not_kept_by_the_partner_either(home):
    """A real interactive session; sqlite refuses one turn (a trigger raises its error)."""
    Store().close()
    conn = sqlite3.connect(home / "im4talkin.db")
    conn.execute(
        "CREATE TRIGGER full BEFORE INSERT ON turns WHEN NEW.text LIKE '%tennis%' BEGIN"
        " SELECT RAISE(ABORT, 'database or disk is full'); END"
    )
    conn.commit()
    conn.close()
    env = {**os.environ, "IM4TALKIN_HOME": str(home), "COLUMNS": "120"}
    proc = subprocess.run(
        [sys.executable, "-m", "im4talkin", "talk", "--llm", "smollm2", "--no-llm-feedback"],
        input="i play tennis every sunday\ni like my dog\n/quit\n",
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    shown = " ".join(proc.stdout.split())  # Rich wraps long lines
    assert "disk is full" in shown and "that turn was not saved" in shown
    store = Store()
    (session,) = store.sessions("default")
    turns = store.turns(session["id"])
    store.close()
    assert [(t["turn"], t["text"]) for t in turns] == [(1, "i like my dog")]


def test_a_migration_that_fails_halfway_changes_nothing_and_runs_again(home, monkeypatch):
    from im4talkin.store import layout

    tone = _old_layout(home)
    real_copy, calls = layout._copy, []

    def full_disk(src, dest):
        calls.append(src)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_copy(src, dest)

    monkeypatch.setattr(layout, "_copy", full_disk)
    with pytest.raises(StorageError, match="No space left"):
        Store()
    conn = sqlite3.connect(home / "im4talkin.db")
    audio = [r[0] for r in conn.execute("SELECT audio FROM readings ORDER BY id")]
    (version,) = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    conn.close()
    assert version == 5 and all("/enrolment/_/travel/" in a for a in audio)  # as it was
    assert all(Path(a).is_file() for a in audio)
    monkeypatch.setattr(layout, "_copy", real_copy)
    store = Store()  # the next start runs it again, to the end
    assert np.allclose(_samples(store.readings("Иван")[0]["audio"]), tone["ivan0"], atol=1e-4)
    store.close()
