import pytest

from im4talkin.errors import StorageError
from im4talkin.messages import Correction, Feedback, TurnResult
from im4talkin.store.db import SessionInfo, Store
from im4talkin.store.migrations import MIGRATIONS


def _result(n):
    fb = Feedback((Correction("go", "went", "why", "tense", "rules", 10, 12),), "Nice!")
    return TurnResult(n, "travel", "text", "yesterday i go home", fb, "Where?")


def test_turns_round_trip_and_survive_a_reopen(home):
    store = Store()
    sid = store.start_session("ana", SessionInfo("travel", "B1", "embedded", "qwen"), "Hi?")
    store.save_turn(sid, _result(1))
    store.close()  # no end_session: as after a crash
    again = Store()
    (turn,) = again.turns(sid)
    assert turn["text"] == "yesterday i go home" and turn["corrections"][0]["corrected"] == "went"
    assert again.sessions("ana")[0]["opener"] == "Hi?"
    assert again.sessions("bob") == []


def test_wal_and_migrations(home):
    store = Store()
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    versions = [r[0] for r in store.conn.execute("SELECT version FROM schema_migrations")]
    assert versions == list(range(1, len(MIGRATIONS) + 1))
    Store().close()  # migrating twice is a no-op


def test_a_turn_number_is_saved_once(home):
    store = Store()
    sid = store.start_session("ana", SessionInfo("travel", "B1", "embedded", "qwen"), "Hi?")
    store.save_turn(sid, _result(1))
    with pytest.raises(StorageError, match="UNIQUE"):
        store.save_turn(sid, _result(1))


def test_an_unwritable_data_dir_says_what_to_do(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("IM4TALKIN_HOME", str(blocker / "sub"))
    with pytest.raises(StorageError, match="IM4TALKIN_HOME"):
        Store()


def test_a_corrupt_database_says_what_to_do(home):
    home.mkdir(parents=True)
    (home / "im4talkin.db").write_bytes(b"not a database" * 100)
    with pytest.raises(StorageError, match="move it aside"):
        Store()


def test_temp_files_a_killed_process_left_are_swept_when_the_store_opens(home):
    """A write killed half-way (kill -9, a power cut) leaves its temp file; the next start
    removes it once it is a day old, and never a newer one (another process may be writing
    it now) or any real file."""
    import os
    import time

    Store().close()
    folder = home / "learners" / "x" / "recordings"
    folder.mkdir(parents=True)
    stale = folder / ".a.flac.0123456789ab.partial"
    fresh = folder / ".b.flac.ba9876543210.partial"
    kept = folder / "c.flac"
    for path in (stale, fresh, kept):
        path.write_bytes(b"half a recording")
    day_ago = time.time() - 25 * 3600
    os.utime(stale, (day_ago, day_ago))
    os.utime(kept, (day_ago, day_ago))
    Store().close()
    assert not stale.exists() and fresh.exists() and kept.exists()
