"""The OpenAI-compatible partner against a real llama.cpp server on 127.0.0.1 (SmolLM2)."""

import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from im4talkin.bundled import smollm2_path
from im4talkin.errors import ModelError
from im4talkin.llm.openai import OpenAIChat
from im4talkin.messages import ChatTurn
from im4talkin.store.db import Store

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

HI = [ChatTurn("system", "You are a friendly partner."), ChatTurn("user", "Hello! How are you?")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """llama-cpp-python's server (``python -m im4talkin.llm.serve``) serving SmolLM2 on loopback."""
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "im4talkin.llm.serve",
            "--model",
            str(smollm2_path()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--n_threads",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(sink := log.open("w")),  # a pipe nobody reads would fill up and stall it
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    import httpx

    while True:
        try:
            if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            sink.close()
            pytest.fail(f"llama_cpp.server did not start: {log.read_text()[-1000:]}")
        time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    sink.close()


def test_a_reply_streams_in_pieces(server):
    chat = OpenAIChat(server)
    pieces = list(chat.stream(HI, 30))
    chat.close()
    assert len(pieces) > 3 and "".join(pieces).strip()


def test_json_answers_follow_the_schema(server):
    schema = {
        "type": "object",
        "properties": {"corrected": {"type": "string"}},
        "required": ["corrected"],
    }
    turns = [ChatTurn("user", "Correct this sentence: she go to school. Answer in JSON.")]
    chat = OpenAIChat(server)
    answer = chat.complete_json(turns, schema, 60)
    chat.close()
    assert isinstance(answer.get("corrected"), str)


def test_a_scripted_session_on_the_server(cli, cached_models, server):
    code, out, err = cli(
        "talk",
        "--llm",
        "openai",
        "--llm-url",
        server,
        "--json",
        "--no-speak",
        "--text",
        "yesterday i go to the beach with my friends",
        "--text",
        "we eat fish and swim in the sea",
    )
    assert code == 0, err
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["reply"] and second["reply"] and first["corrections"][0]["corrected"] == "went"
    store = Store()
    (session,) = store.sessions("default")
    assert session["llm"].startswith("openai:127.0.0.1")
    assert len(store.turns(session["id"])) == 2


def test_a_dead_server_is_one_line(cli, cached_models):
    url = f"http://127.0.0.1:{_free_port()}/v1"  # nothing listens there
    code, out, err = cli(
        "talk", "--llm", "openai", "--llm-url", url, "--no-speak", "--text", "hello there my friend"
    )
    assert code == 3 and "cannot reach the LLM server" in err and url in err
    assert "Traceback" not in err


def test_a_slow_server_times_out():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        held = []
        threading.Thread(target=lambda: held.append(listener.accept()), daemon=True).start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        chat = OpenAIChat(url, timeout=1.0)
        start = time.monotonic()
        try:
            with pytest.raises(ModelError, match="did not answer within 1 s"):
                list(chat.stream(HI, 10))
            assert time.monotonic() - start < 5
        finally:
            chat.close()
            for conn, _ in held:
                conn.close()


def test_a_failing_correction_pass_keeps_the_turn(cli, cached_models, server, monkeypatch):
    """A server that streams but refuses the JSON call: the reply and the turn are kept."""

    def refuse(self, *args, **kwargs):
        raise ModelError("the LLM server answered 400: response_format not supported")

    monkeypatch.setattr(OpenAIChat, "complete_json", refuse)
    code, out, err = cli(
        "talk",
        "--llm",
        "openai",
        "--llm-url",
        server,
        "--json",
        "--no-speak",
        "--text",
        "yesterday i go to the beach",
    )
    assert code == 0, err
    turn = json.loads(out)
    assert turn["reply"] and turn["corrections"][0]["source"] == "rules"


def test_a_failed_reply_leaves_the_history_whole(server):
    from im4talkin.tutor.partner import Partner
    from im4talkin.tutor.topics import load_topic

    with pytest.raises(ModelError):
        dead = OpenAIChat(f"http://127.0.0.1:{_free_port()}/v1")
        partner = Partner(dead, load_topic("travel"), "B1", 40, 7)
        partner.open()
        before = list(partner.history)
        try:
            list(partner.reply("i like trains"))
        finally:
            assert partner.history == before
            dead.close()


def test_a_missing_or_bad_url_is_one_line(cli):
    code, _, err = cli("talk", "--llm", "openai", "--text", "hello there")
    assert code == 2 and "--llm-url" in err
    code, _, err = cli("talk", "--llm", "openai", "--llm-url", "ftp://x", "--text", "hello there")
    assert code == 2 and "not an http(s) URL" in err
    code, _, err = cli("talk", "--llm", "openai", "--llm-url", "http://host:abc/v1", "--text", "hi")
    assert code == 2 and "not an http(s) URL" in err and "Traceback" not in err


def test_the_interactive_session_survives_a_dead_server(home):
    url = f"http://127.0.0.1:{_free_port()}/v1"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "im4talkin",
            "talk",
            "--llm",
            "openai",
            "--llm-url",
            url,
            "--no-llm-feedback",
            "--no-speak",
        ],
        input="i like trains very much\n/quit\n",
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "IM4TALKIN_HOME": str(home), "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "cannot reach the LLM server" in proc.stdout
    assert proc.stdout.count("you>") == 2 and "No turns this time" in proc.stdout  # asked again
    assert "Traceback" not in proc.stdout + proc.stderr
