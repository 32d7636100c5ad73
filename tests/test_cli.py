import json
import os
import socket
import subprocess
import sys

import pytest

from im4talkin.store.db import Store

SMOL = ("--llm", "smollm2")


def _lines(out):
    return [json.loads(line) for line in out.splitlines()]


def test_a_goodbye_turn_is_marked_closing_and_asks_nothing(cli, cached_models):
    code, out, err = cli(
        "talk", "--topic", "restaurant", *SMOL, "--json", "--text", "thank you, goodbye"
    )
    assert code == 0, err
    (turn,) = _lines(out)
    assert turn["closing"] is True and turn["reply"] and "?" not in turn["reply"]


def test_a_scripted_json_session(cli, cached_models):
    code, out, err = cli(
        "talk",
        "--topic",
        "travel",
        *SMOL,
        "--json",
        "--text",
        "yesterday i go to the beach with my friends",
        "--text",
        "we eat fish and swim in the sea",
    )
    assert code == 0, err
    first, second = _lines(out)
    assert first["turn"] == 1 and second["turn"] == 2 and first["topic"] == "travel"
    assert set(first) == {
        "turn",
        "topic",
        "input",
        "transcript",
        "corrections",
        "praise",
        "reply",
        "recording",
        "reply_audio",
        "notes",
        "closing",
        "pronunciation",
        "timings_ms",
    }
    assert first["closing"] is False
    assert first["input"] == "text" and first["recording"] is None
    fix = first["corrections"][0]
    assert (fix["original"], fix["corrected"], fix["kind"]) == ("go", "went", "tense")
    assert first["praise"] and first["reply"].rstrip()[-1:] in (".", "!", "?")
    assert set(first["timings_ms"]) >= {"feedback", "llm_first_token", "llm_total", "turn_total"}
    store = Store()
    (session,) = store.sessions("default")
    assert [t["text"] for t in store.turns(session["id"])] == [
        first["transcript"],
        second["transcript"],
    ]
    assert session["ended_at"]


def test_the_sockets_are_blocked_in_tests():
    with pytest.raises(Exception, match="[Ss]ocket"):
        socket.create_connection(("127.0.0.1", 9))


def test_a_whole_session_runs_with_no_network(cli, cached_models, smollm2):
    code, out, _ = cli(
        "talk", "--topic", "restaurant", *SMOL, "--text", "i would like a pizza please"
    )
    assert code == 0
    assert "Lucia:" in out and "session summary" in out


def test_the_rendered_session_marks_mistakes(cli, cached_models):
    code, out, _ = cli("talk", *SMOL, "--no-llm-feedback", "--text", "he is an good guide")
    assert code == 0
    assert "an" in out and "a" in out and "article" in out and "1 correction" in out


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "nothing to check"),
        ("   ", "nothing to check"),
        ("x" * 10_000, "10000 characters"),
        ("hola me llamo juan y vivo en madrid", "does not look like English"),
        ("Я люблю путешествовать по миру", "does not look like English"),
    ],
)
def test_bad_text_ends_with_one_line_and_keeps_earlier_turns(cli, cached_models, text, message):
    code, out, err = cli("talk", *SMOL, "--json", "--text", "i like trains", "--text", text)
    assert code == 2
    assert message in err and "Traceback" not in err
    # one error line; the other stderr line is the notice that there are no speakers here
    errors = [line for line in err.splitlines() if not line.startswith("note:")]
    assert len(errors) == 1 and errors[0].startswith("error:") and message in errors[0]
    assert len(_lines(out)) == 1
    store = Store()
    assert len(store.turns(store.sessions("default")[0]["id"])) == 1


def test_an_unknown_topic_lists_the_topics(cli):
    code, _, err = cli("talk", "--topic", "mars", "--text", "hi")
    assert code == 2 and "unknown topic 'mars'" in err and "travel" in err


def test_a_malformed_topic_file_names_file_and_line(cli, tmp_path, monkeypatch):
    (tmp_path / "broken.toml").write_text('name = "broken"\ntitle = \n')
    monkeypatch.setenv("IM4TALKIN_TOPICS_DIR", str(tmp_path))
    code, _, err = cli("talk", "--topic", "broken", "--text", "hi")
    assert code == 2 and "broken.toml" in err and "line 2" in err


def test_a_missing_or_corrupt_model_file(cli, tmp_path, cached_models):
    code, _, err = cli("talk", "--llm-model", str(tmp_path / "none.gguf"), "--text", "hi there")
    assert code == 3 and "model file not found" in err
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"GGUF" + b"\0" * 1000)
    code, _, err = cli("talk", "--llm-model", str(junk), "--text", "hi there")
    assert code == 3 and "not a usable GGUF" in err and "Traceback" not in err


def test_an_unwritable_data_dir(cli, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("IM4TALKIN_HOME", str(blocker))
    code, _, err = cli("talk", "--text", "hi there")
    assert code == 4 and "IM4TALKIN_HOME" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["review", "--limit", "0"], "Invalid value for '--limit'"),
        (["report", "--nope"], "No such option: --nope"),
        (["report", "--learner"], "Option '--learner' requires an argument"),
        (["nosuch"], "No such command 'nosuch'"),
    ],
)
def test_usage_errors_are_one_message(cli, args, message):
    code, out, err = cli(*args)
    assert code == 2 and not out and "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and message in errors[0]


def test_a_usage_error_in_a_real_process_has_no_traceback(home):
    proc = subprocess.run(
        [sys.executable, "-m", "im4talkin", "review", "--limit", "0"],
        capture_output=True,
        text=True,
        env={**os.environ, "IM4TALKIN_HOME": str(home)},
        timeout=60,
    )
    assert proc.returncode == 2 and not proc.stdout
    assert "Traceback" not in proc.stderr and "Invalid value for '--limit'" in proc.stderr


def test_topics_lists_them(cli):
    code, out, _ = cli("topics")
    assert code == 0 and "job_interview" in out and "Sam" in out


def test_stdout_holds_only_json_in_a_real_process(home):
    env = {**os.environ, "IM4TALKIN_HOME": str(home)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "im4talkin",
            "talk",
            *SMOL,
            "--json",
            "--text",
            "i am looking forward to meet you",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    (turn,) = _lines(proc.stdout)
    assert any(c["corrected"] == "meeting" for c in turn["corrections"])


@pytest.mark.slow
def test_the_default_partner_for_two_turns(cli, cached_models, qwen, monkeypatch):
    from im4talkin import registry

    monkeypatch.setitem(registry.REGISTRY, ("llm", "qwen"), lambda *a, **k: qwen)
    code, out, err = cli(
        "talk",
        "--topic",
        "travel",
        "--json",
        "--text",
        "yesterday i go to the beach with my friends",
        "--text",
        "the water was very cold but we swim anyway",
    )
    assert code == 0, err
    first, second = _lines(out)
    assert any(c["original"] == "go" and c["corrected"] == "went" for c in first["corrections"])
    assert first["praise"]
    for turn in (first, second):
        assert turn["reply"].rstrip()[-1:] in (".", "!", "?")  # no forced question (policy)
        assert 1 <= turn["reply"].count(" ") <= 60
