"""Progress as the learner meets it after ``talk``: the XP line, and the report after it."""

import json


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
    code, _, err = cli("report", "--learner", "default")
    assert code == 2 and "learners: ana" in err  # nobody talked as 'default'


def test_talk_json_output_has_no_progress_line(cli, cached_models):
    code, out, _ = cli(
        "talk", "--llm", "smollm2", "--no-llm-feedback", "--json", "--text", "hello there"
    )
    assert code == 0 and "XP" not in out and len(out.splitlines()) == 1
