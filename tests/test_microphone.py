"""The real sound path: PulseAudio with a pipe source as the microphone and a null sink as
the speakers. Each recording runs in a child process (PortAudio lists devices once, when it
starts), talking to a private PulseAudio server through ALSA's pulse plugin."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import jiwer
import pytest
import soundfile as sf

from im4talkin.audio.io import load_audio
from im4talkin.store.db import Store

from .pulse import Pulse

ROOT = Path(__file__).resolve().parents[1]
SAID = "Last summer I visit my uncle in the mountains."


def _need(binary: str) -> None:
    if shutil.which(binary):
        return
    why = f"{binary} is not installed (apt-get install pulseaudio libasound2-plugins libportaudio2 tmux)"
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="module")
def pulse(tmp_path_factory):
    _need("pulseaudio")
    server = Pulse(tmp_path_factory.mktemp("pulse"))
    yield server
    server.stop()


def _child(code: str, env: dict, *args: str, timeout: float = 120) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _norm(text: str) -> str:
    return " ".join(jiwer.RemovePunctuation()(text.lower()).split())


RECORD = """
import sys, threading, time
from im4talkin.audio.io import load_audio, write_flac
from im4talkin.audio.mic import Recorder
from pathlib import Path
from tests.pulse import feed_mic
fifo, wav, out = sys.argv[1:4]
recorder = Recorder("pulse", max_seconds=30)
feeder = threading.Thread(target=feed_mic, args=(fifo, load_audio(wav).samples))
feeder.start()
clip = recorder.record(lambda: not feeder.is_alive())
write_flac(Path(out), clip.samples)
print(f"{clip.seconds:.2f}")
"""


def test_the_microphone_records_speech_played_into_it(pulse, speech, whisper_base, tmp_path):
    out = tmp_path / "mic.flac"
    seconds = float(_child(RECORD, pulse.env, str(pulse.fifo), str(speech(SAID)), str(out)))
    assert seconds > 2.0
    heard = whisper_base.transcribe(load_audio(out).samples)
    assert jiwer.wer(_norm(SAID), _norm(heard)) <= 0.15, heard


RECORD_LIVE = """
import sys, threading
from im4talkin import registry
from im4talkin.asr.live import LiveTranscript
from im4talkin.audio.io import load_audio, speech_span
from im4talkin.audio.mic import Recorder
from im4talkin.config import load_settings
from tests.pulse import feed_mic
fifo, wav = sys.argv[1:3]
asr = registry.create("asr", "whisper-base", load_settings())
asr.warm_up()
read = []
live = LiveTranscript(asr, speech_span, read_ahead=lambda text, whole: read.append(text))
recorder = Recorder("pulse", max_seconds=30)
feeder = threading.Thread(target=feed_mic, args=(fifo, load_audio(wav).samples))
feeder.start()
clip = recorder.record(lambda: not feeder.is_alive(), on_audio=live.feed)
drafts = live.stats.drafts
final = live.finish(clip)
assert final == asr.transcribe(speech_span(clip).samples), final
print(drafts, len(read))
print(final)
"""


def test_the_microphone_feeds_live_recognition(pulse, speech):
    said = "Last summer I visit my uncle in the mountains and we walk every morning by the lake."
    out = _child(RECORD_LIVE, pulse.env, str(pulse.fifo), str(speech(said)))
    counts, heard = out.strip().splitlines()[-2:]
    drafts, read = map(int, counts.split())
    assert drafts >= 2 and read >= 1, out  # drafted while the audio came in
    assert jiwer.wer(_norm(said), _norm(heard)) <= 0.15, heard


SPEAK = """
import sys, threading
from im4talkin import registry
from im4talkin.audio.io import write_flac
from im4talkin.audio.mic import Recorder
from im4talkin.audio.playback import Speaker
from im4talkin.config import load_settings
from pathlib import Path
tts = registry.create("tts", "piper-joe", load_settings())
notices = []
speaker = Speaker(tts, play=True, device="pulse", notice=notices.append)
assert speaker.play, notices
done = threading.Event()
recorder = Recorder("pulse", max_seconds=30)
result = {}
thread = threading.Thread(target=lambda: result.update(clip=recorder.record(done.is_set)))
thread.start()
speaker.start_reply()
for sentence in sys.argv[2:]:
    speaker.say(sentence)
audio = speaker.finish_reply()
speaker.wait_played()
import time; time.sleep(0.5)
done.set(); thread.join()
write_flac(Path(sys.argv[1]), result["clip"].samples)
print(f"{audio.first_audio_s:.3f} {audio.total_s:.3f}")
"""


def test_replies_are_played_to_the_speakers(pulse, whisper_base, tmp_path):
    out = tmp_path / "speakers.flac"
    sentences = ["That sounds lovely.", "Which city did you like best?"]
    env = {**pulse.env, "PULSE_SOURCE": "speakers.monitor"}  # record what the speakers play
    first, total = map(float, _child(SPEAK, env, str(out), *sentences).split())
    assert 0 < first <= total
    heard = whisper_base.transcribe(load_audio(out).samples)
    assert jiwer.wer(_norm(" ".join(sentences)), _norm(heard)) <= 0.2, heard


def test_devices_lists_the_virtual_microphone(pulse):
    out = subprocess.run(
        [sys.executable, "-m", "im4talkin", "devices"],
        env={**pulse.env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "pulse" in out.stdout and "input" in out.stdout


def test_devices_without_any_sound_device(cli, no_speakers):
    code, out, err = cli("devices")
    assert code == 0 and "No sound devices found" in out and "--input-audio" in out


def _pane(tmux: list[str], target: str) -> str:
    return subprocess.run(
        [*tmux, "capture-pane", "-p", "-J", "-S", "-200", "-t", target],
        capture_output=True,
        text=True,
    ).stdout


def _wait_for(tmux: list[str], target: str, text: str, count: int = 1, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = _pane(tmux, target)
        if screen.count(text) >= count:
            return screen
        time.sleep(0.3)
    raise AssertionError(f"{text!r} x{count} never appeared:\n{_pane(tmux, target)}")


def test_the_interactive_loop_in_tmux_a_spoken_and_a_typed_turn(pulse, speech, home, tmp_path):
    """Push-to-talk as a learner does it: Enter, speak, Enter; then a typed turn; /quit."""
    _need("tmux")
    name = f"im4talkin-{os.getpid()}"
    env = {
        **pulse.env,
        "IM4TALKIN_HOME": str(home),
        "IM4TALKIN_MODELS_DIR": os.environ["IM4TALKIN_MODELS_DIR"],
    }
    command = " ".join(
        [
            "env",
            *(
                f"{k}={env[k]}"
                for k in (
                    "PULSE_SERVER",
                    "HOME",
                    "XDG_RUNTIME_DIR",
                    "IM4TALKIN_HOME",
                    "IM4TALKIN_MODELS_DIR",
                )
            ),
            sys.executable,
            "-m",
            "im4talkin",
            "talk",
            "--topic",
            "travel",
            "--llm",
            "smollm2",
            "--no-llm-feedback",
        ]
    )
    socket = str(tmp_path / "tmux.sock")
    tmux = ["tmux", "-S", socket]
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", name, "-x", "150", "-y", "50", command], check=True
    )
    target = f"{name}:0"
    subprocess.run([*tmux, "set-option", "-t", name, "remain-on-exit", "on"], check=True)
    try:
        _wait_for(tmux, target, "you>")
        subprocess.run([*tmux, "send-keys", "-t", target, "Enter"], check=True)
        _wait_for(tmux, target, "Enter stops")
        pulse.speak_into_mic(load_audio(speech(SAID)).samples).join()
        subprocess.run([*tmux, "send-keys", "-t", target, "Enter"], check=True)
        _wait_for(tmux, target, "you>", count=2)
        subprocess.run(
            [*tmux, "send-keys", "-t", target, "i like travel by train", "Enter"], check=True
        )
        _wait_for(tmux, target, "you>", count=3)
        subprocess.run([*tmux, "send-keys", "-t", target, "/quit", "Enter"], check=True)
        screen = _wait_for(tmux, target, "session summary")
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    store = Store()
    turns = [t for s in store.sessions("default") for t in store.turns(s["id"])]
    assert "recorded" in screen and "feedback" in screen
    assert [t["input"] for t in turns] == ["audio", "text"], screen
    assert jiwer.wer(_norm(SAID), _norm(turns[0]["text"])) <= 0.15
    assert sf.info(turns[0]["recording"]).format == "FLAC"
    assert turns[1]["text"] == "i like travel by train"
    assert turns[0]["timings"]["asr"] > 0


def test_the_level_meter_follows_the_voice():
    from im4talkin.cli.record import BAR, meter

    quiet, speaking, loud = (meter(level, 2.0, 30).plain for level in (1e-4, 0.1, 1.0))
    assert quiet.count("▮") == 0 and quiet.count("▯") == BAR
    assert 12 <= speaking.count("▮") <= 20 and "2.0 s / 30 s" in speaking
    assert loud.count("▮") == BAR and "Enter stops" in loud
