"""The Speaker and Player logic with a stand-in voice and stream (the real ones run in
tests/test_speech.py and, through PulseAudio, in tests/test_microphone.py)."""

import threading
import time

import numpy as np

from im4talkin.audio import playback
from im4talkin.audio.playback import Player, Speaker


class SlowVoice:
    """Synthesises one 0.1 s chunk per sentence, valued by the sentence's length."""

    sample_rate = 1000

    def __init__(self, fail_on: str = "") -> None:
        self.fail_on = fail_on
        self.said: list[str] = []

    def synthesize(self, text: str) -> np.ndarray:
        time.sleep(0.02)
        if text == self.fail_on:
            raise RuntimeError("voice broke")
        self.said.append(text)
        return np.full(100, len(text) / 100, np.float32)


def test_sentences_are_synthesised_in_order_and_timed():
    voice = SlowVoice()
    speaker = Speaker(voice, play=False, keep=True)
    t0 = time.perf_counter()
    speaker.start_reply(t0)
    for sentence in ("One.", "Two two.", "Three three three."):
        speaker.say(sentence)
    audio = speaker.finish_reply()
    assert voice.said == ["One.", "Two two.", "Three three three."]
    assert len(audio.samples) == 300 and audio.samples[0] == np.float32(0.04)
    assert 0 < audio.first_audio_s < audio.total_s <= time.perf_counter() - t0


def test_a_reply_nobody_hears_or_keeps_is_not_synthesised():
    voice = SlowVoice()
    speaker = Speaker(voice, play=False, keep=False)
    speaker.start_reply()
    speaker.say("Hello there.")
    assert speaker.finish_reply().samples.size == 0 and voice.said == []


def test_a_broken_voice_is_one_notice_and_the_reply_goes_on():
    notices = []
    voice = SlowVoice(fail_on="Bad.")
    speaker = Speaker(voice, play=False, keep=True, notice=notices.append)
    speaker.start_reply()
    for sentence in ("Good.", "Bad.", "Fine."):
        speaker.say(sentence)
    audio = speaker.finish_reply()
    assert voice.said == ["Good.", "Fine."] and len(audio.samples) == 200
    assert len(notices) == 1 and "voice broke" in notices[0]


class FakeStream:
    latency = 0.01

    def __init__(self, **kwargs):
        self.callback = kwargs["callback"]
        self.closed = False

    def start(self):
        pass

    def abort(self):
        pass

    def close(self):
        self.closed = True


class FakeSd:
    OutputStream = FakeStream


def test_the_player_plays_queued_audio_then_silence():
    player = Player(FakeSd(), 1000, None)
    player.add(np.ones(30, np.float32))
    player.add(np.full(30, 2.0, np.float32))
    out = np.full((50, 1), -1.0, np.float32)
    player._stream.callback(out, 50, None, None)
    assert out[:30, 0].tolist() == [1.0] * 30 and out[30:, 0].tolist() == [2.0] * 20
    assert player.pending == 10
    player._stream.callback(out, 50, None, None)
    assert out[:10, 0].tolist() == [2.0] * 10 and not out[10:, 0].any()  # silence, no underrun
    assert player.pending == 0


def test_wait_played_returns_once_the_player_drained(monkeypatch):
    monkeypatch.setattr(playback.devices, "sounddevice", lambda: FakeSd())
    speaker = Speaker(SlowVoice(), play=True)
    assert speaker.play
    speaker.start_reply()
    speaker.say("Hello.")
    speaker.finish_reply()
    assert speaker.player.pending == 100
    stream = speaker.player._stream

    def drain():
        time.sleep(0.1)
        stream.callback(np.zeros((100, 1), np.float32), 100, None, None)

    threading.Thread(target=drain).start()
    start = time.monotonic()
    speaker.wait_played()
    assert 0.09 < time.monotonic() - start < 2 and speaker.player.pending == 0
    speaker.close()
    assert stream.closed and not speaker.play
    speaker._thread.join(2)
    assert not speaker._thread.is_alive()  # the synthesis thread ends with the speaker


def test_close_joins_the_synthesis_thread_and_no_wait_outlives_it():
    voice = SlowVoice()
    speaker = Speaker(voice, play=False, keep=True)
    speaker.start_reply()
    for n in range(50):  # a second of synthesis queued
        speaker.say(f"Sentence {n}.")
    t0 = time.monotonic()
    speaker.close()
    assert not speaker._thread.is_alive() and time.monotonic() - t0 < 0.5  # the rest dropped
    assert len(voice.said) < 50
    speaker.start_reply()  # a reply begun after close never waits forever
    speaker.say("Too late.")
    t0 = time.monotonic()
    speaker.finish_reply()
    assert time.monotonic() - t0 < 0.5


def test_close_with_the_real_voice_joins_its_thread(piper):
    speaker = Speaker(piper, play=False, keep=True)
    speaker.start_reply()
    speaker.say("This sentence is being spoken while the session ends.")
    speaker.say("This one is dropped.")
    speaker.close()
    assert not speaker._thread.is_alive()
    assert speaker.finish_reply().samples.size >= 0  # returns at once
