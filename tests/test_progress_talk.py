"""Progress as the learner meets it after ``talk``: the XP line, and the report after it."""

import json

from im4talkin.errors import ModelError
from im4talkin.store.db import Store


def test_talk_ends_with_xp_and_the_report_counts_the_session(cli, cached_models):
    code, out, err = cli(
        "talk", "--llm", "smollm2", "--no-llm-feedback", "--learner", "ana",
        "--text", "yesterday i go to the beach", "--text", "yesterday i go to the beach",
    )  # fmt: skip
    assert code == 0, err
    assert "+10 XP - level 1 (10/100 XP to level 2)" in out  # the repeated turn earns none
    assert "new badge: First conversation" in out
    code, out, _ = cli("report", "--json", "--learner", "ana")
    report = json.loads(out)
    assert (report["sessions"], report["turns"], report["xp"]) == (1, 2, 10)
    assert report["accuracy"]["top"][0]["corrected"] == "went"
    # talking alone makes the review card: one for the sentence said twice
    (card,) = Store().cards("ana")
    assert card["original"] == "yesterday i go to the beach" and "went" in card["corrected"]
    assert (report["review"]["cards"], report["review"]["due"]) == (1, 1)
    code, _, err = cli("report", "--learner", "default")
    assert code == 2 and "learners: ana" in err  # nobody talked as 'default'


def test_talk_json_output_has_no_progress_line(cli, cached_models):
    code, out, _ = cli(
        "talk", "--llm", "smollm2", "--no-llm-feedback", "--json", "--text", "hello there"
    )
    assert code == 0 and "XP" not in out and len(out.splitlines()) == 1


def test_an_error_at_the_end_never_hides_the_first_or_leaves_the_store_open(
    cli, cached_models, monkeypatch
):
    from im4talkin.cli import talk

    closed = []
    monkeypatch.setattr(Store, "close", lambda self: closed.append(self.conn.close()))

    history, reads = Store.history, []

    def broken(self, learner):  # readable at the start of the session, not at its end
        reads.append(learner)
        if len(reads) > 1:
            raise RuntimeError("history unreadable")
        return history(self, learner)

    def partner_dies(self, said, start=None, live=None):
        self.results.append(said)  # a turn was taken, then the model went away
        raise ModelError("the partner model stopped")

    monkeypatch.setattr(Store, "history", broken)
    monkeypatch.setattr(talk.Run, "_run", partner_dies)
    monkeypatch.setattr(talk.render, "summary", lambda console, results: None)
    code, _, err = cli("talk", "--llm", "smollm2", "--learner", "ana", "--text", "hello there")
    assert code == 3 and "the partner model stopped" in err, err
    assert "history unreadable" in err and "Traceback" not in err  # one notice line
    assert len(closed) == 1
