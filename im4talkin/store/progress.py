"""Progress tables: enrolment readings, fine-tune runs, review cards and review answers.

Schema (migration 3):

- ``readings``: one row per sentence read aloud at enrolment, unique per learner, passage
  (the topic whose reading sentences were read) and sentence index, so a rerun replaces
  the earlier reading instead of storing it twice.
- ``finetunes``: one row per fine-tune of the speech recogniser, with the word error rate
  on the learner's held-out readings before and after; ``activated`` marks the one in use.
- ``review_cards``: a past learner sentence with mistakes and its corrected form, one per
  distinct sentence per learner, with the spaced-repetition state (JSON) and when it is due.
- ``reviews``: every answer given in a review drill.

All times are UTC ISO-8601 strings with milliseconds and a ``Z`` (SQLite's
``strftime('%Y-%m-%dT%H:%M:%fZ', 'now')``), so they sort as text.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
"""SQL for the current time in the stored format."""


def stamp(at: datetime | None) -> str | None:
    """``at`` in the stored format (naive datetimes are taken as UTC); None stays None."""
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _rows(cur: sqlite3.Cursor) -> list[dict[str, Any]]:
    return [dict(r) for r in cur.fetchall()]


class ProgressStore:
    """Queries for the progress tables; mixed into :class:`~im4talkin.store.db.Store`."""

    conn: sqlite3.Connection

    def learner_id(self, name: str) -> int:  # pragma: no cover - defined by Store
        raise NotImplementedError

    def find_learner(self, name: str) -> int | None:
        """The id of learner ``name``, or None; never creates one."""
        row = self.conn.execute("SELECT id FROM learners WHERE name = ?", (name,)).fetchone()
        return int(row["id"]) if row else None

    def learner_names(self) -> list[str]:
        """Every learner on this machine, by name."""
        return [r[0] for r in self.conn.execute("SELECT name FROM learners ORDER BY name")]

    def history(self, learner: str) -> list[dict[str, Any]]:
        """Every turn of ``learner``, oldest first, with its session's topic.

        Keys: ``id, session_id, topic, input, text, corrections`` (JSON text), ``seconds``,
        ``created_at``. Corrections are left as JSON for the caller to decode.
        """
        cur = self.conn.execute(
            "SELECT t.id, t.session_id, s.topic, t.input, t.text, t.corrections, t.seconds,"
            " t.created_at FROM turns t JOIN sessions s ON s.id = t.session_id"
            " JOIN learners l ON l.id = s.learner_id WHERE l.name = ?"
            " ORDER BY t.created_at, t.id",
            (learner,),
        )
        return _rows(cur)

    # --- enrolment -------------------------------------------------------------------

    def add_reading(
        self,
        learner: str,
        passage: str,
        sentence: int,
        reference: str,
        transcript: str,
        wer: float,
        score: float,
        seconds: float,
        audio: str | None = None,
        at: datetime | None = None,
    ) -> int:
        """Store one sentence read aloud; a second reading of the same sentence replaces it.

        Args:
            passage: the topic whose reading sentences were read, e.g. ``travel``.
            sentence: the index of the sentence in that topic's ``reading`` list.
            wer: word error rate of the recogniser's transcript against ``reference``.
            score: the reading score, 0 to 100.
            seconds: how long the recording is.
        """
        self.conn.execute(
            "INSERT INTO readings(learner_id, passage, sentence, reference, transcript, wer,"
            f" score, seconds, audio, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
            f" COALESCE(?, {NOW})) ON CONFLICT (learner_id, passage, sentence) DO UPDATE SET"
            " reference = excluded.reference, transcript = excluded.transcript,"
            " wer = excluded.wer, score = excluded.score, seconds = excluded.seconds,"
            " audio = excluded.audio, created_at = excluded.created_at",
            (
                self.learner_id(learner),
                *(passage, sentence, reference, transcript, wer, score, seconds, audio),
                stamp(at),
            ),
        )
        row = self.conn.execute(
            "SELECT id FROM readings WHERE learner_id = ? AND passage = ? AND sentence = ?",
            (self.learner_id(learner), passage, sentence),
        ).fetchone()
        return int(row["id"])

    def add_sound_errors(
        self,
        learner_id: int,
        changes: list[tuple[str, str, str]],
        turn_id: int | None = None,
        reading_id: int | None = None,
        at: datetime | None = None,
    ) -> None:
        """Store the sounds said as other sounds: (word, expected, heard; "" left out), of one
        spoken turn or one reading (a reading read again replaces its earlier ones)."""
        if reading_id is not None:
            self.conn.execute("DELETE FROM sound_errors WHERE reading_id = ?", (reading_id,))
        self.conn.executemany(
            "INSERT INTO sound_errors(learner_id, turn_id, reading_id, word, expected, heard,"
            f" created_at) VALUES (?, ?, ?, ?, ?, ?, COALESCE(?, {NOW}))",
            [(learner_id, turn_id, reading_id, *c, stamp(at)) for c in changes],
        )

    def sound_errors(self, learner: str) -> list[dict[str, Any]]:
        """A learner's sounds said as other sounds, oldest first."""
        return _rows(
            self.conn.execute(
                "SELECT e.* FROM sound_errors e JOIN learners l ON l.id = e.learner_id"
                " WHERE l.name = ? ORDER BY e.created_at, e.id",
                (learner,),
            )
        )

    def readings(self, learner: str) -> list[dict[str, Any]]:
        """A learner's enrolment readings, oldest first."""
        return _rows(
            self.conn.execute(
                "SELECT r.* FROM readings r JOIN learners l ON l.id = r.learner_id"
                " WHERE l.name = ? ORDER BY r.created_at, r.id",
                (learner,),
            )
        )

    # --- fine-tuning -----------------------------------------------------------------

    def add_finetune(
        self,
        learner: str,
        profile: str,
        asr_model: str,
        wer_before: float,
        wer_after: float,
        activated: bool = False,
        details: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> int:
        """Record one fine-tune run; ``activated`` also deactivates the learner's others."""
        cur = self.conn.execute(
            "INSERT INTO finetunes(learner_id, profile, asr_model, wer_before, wer_after,"
            f" activated, details, created_at) VALUES (?, ?, ?, ?, ?, 0, ?, COALESCE(?, {NOW}))",
            (
                self.learner_id(learner),
                *(profile, asr_model, wer_before, wer_after),
                json.dumps(details or {}),
                stamp(at),
            ),
        )
        run_id = int(cur.lastrowid or 0)
        if activated:
            self.activate_finetune(run_id)
        return run_id

    def activate_finetune(self, run_id: int) -> None:
        """Mark run ``run_id`` as the one in use for its learner and recogniser (no other)."""
        self.conn.execute(
            "UPDATE finetunes SET activated = (id = ?) WHERE (learner_id, asr_model) ="
            " (SELECT learner_id, asr_model FROM finetunes WHERE id = ?)",
            (run_id, run_id),
        )

    def deactivate_finetunes(self, learner: str, asr_model: str) -> None:
        """Back to the shipped recogniser for ``learner``: no run of ``asr_model`` in use."""
        self.conn.execute(
            "UPDATE finetunes SET activated = 0 WHERE asr_model = ? AND learner_id ="
            " (SELECT id FROM learners WHERE name = ?)",
            (asr_model, learner),
        )

    def finetunes(self, learner: str) -> list[dict[str, Any]]:
        """A learner's fine-tune runs, oldest first; ``details`` decoded."""
        rows = _rows(
            self.conn.execute(
                "SELECT f.* FROM finetunes f JOIN learners l ON l.id = f.learner_id"
                " WHERE l.name = ? ORDER BY f.created_at, f.id",
                (learner,),
            )
        )
        for row in rows:
            row["details"] = json.loads(row["details"])
            row["activated"] = bool(row["activated"])
        return rows

    # --- review cards ----------------------------------------------------------------

    def add_card(
        self,
        learner: str,
        turn_id: int | None,
        original: str,
        corrected: str,
        fixes: list[str],
        kind: str,
        state: dict[str, Any],
        due: datetime,
        at: datetime | None = None,
    ) -> int | None:
        """A review card for a sentence with mistakes; None when that sentence has one."""
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO review_cards(learner_id, turn_id, original, corrected, fixes,"
            f" kind, state, due, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, {NOW}))",
            (
                self.learner_id(learner),
                *(turn_id, original, corrected, json.dumps(fixes), kind),
                json.dumps(state),
                stamp(due),
                stamp(at),
            ),
        )
        return int(cur.lastrowid) if cur.rowcount else None

    def cards(self, learner: str, due_by: datetime | None = None) -> list[dict[str, Any]]:
        """A learner's review cards (those due by ``due_by`` when given), most overdue first."""
        sql = (
            "SELECT c.* FROM review_cards c JOIN learners l ON l.id = c.learner_id WHERE l.name = ?"
        )
        args: list[Any] = [learner]
        if due_by is not None:
            sql += " AND c.due <= ?"
            args.append(stamp(due_by))
        rows = _rows(self.conn.execute(sql + " ORDER BY c.due, c.id", args))
        for row in rows:
            row["state"] = json.loads(row["state"])
            row["fixes"] = json.loads(row["fixes"])
        return rows

    def record_review(
        self,
        card_id: int,
        answer: str,
        input: str,
        correct: bool,
        rating: int,
        state: dict[str, Any],
        due: datetime,
        at: datetime | None = None,
    ) -> None:
        """Save one answer and the card's new schedule, together."""
        result = "right" if correct else "wrong"
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.execute(
                "INSERT INTO reviews(card_id, answer, input, correct, rating, created_at)"
                f" VALUES (?, ?, ?, ?, ?, COALESCE(?, {NOW}))",
                (card_id, answer, input, int(correct), rating, stamp(at)),
            )
            self.conn.execute(
                "UPDATE review_cards SET state = ?, due = ?, last_result = ? WHERE id = ?",
                (json.dumps(state), stamp(due), result, card_id),
            )

    def reviews(self, learner: str) -> list[dict[str, Any]]:
        """Every review answer of a learner, oldest first, with the card's kind."""
        return _rows(
            self.conn.execute(
                "SELECT r.*, c.kind FROM reviews r JOIN review_cards c ON c.id = r.card_id"
                " JOIN learners l ON l.id = c.learner_id WHERE l.name = ?"
                " ORDER BY r.created_at, r.id",
                (learner,),
            )
        )
