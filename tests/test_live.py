"""Recognition while the learner speaks: real speech fed in microphone-sized blocks, in real
time, to the real Whisper base; the final transcript must be the one a recording from a
file gets, and the drafts must reach the partner before the recording ends."""

import os
import sys
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest

from im4talkin.asr.drafter import Drafter
from im4talkin.asr.live import LiveTranscript, agreed
from im4talkin.audio.io import SAMPLE_RATE, load_audio, speech_span
from im4talkin.tutor.partner import Partner
from im4talkin.tutor.session import Conversation
from im4talkin.tutor.topics import load_topic

from .fakes import ScriptedModel

SAID = "yesterday i go to the beach with my friends and we swim in the sea all afternoon"
BLOCK = SAMPLE_RATE // 20  # the recorder's 50 ms


def speak_into(live: LiveTranscript, samples: np.ndarray) -> None:
    """A microphone: a 50 ms block every 50 ms."""
    start = time.perf_counter()
    for i in range(0, len(samples), BLOCK):
        live.feed(samples[i : i + BLOCK])
        time.sleep(max(0.0, start + (i + BLOCK) / SAMPLE_RATE - time.perf_counter()))


def test_drafts_agree_word_by_word_whatever_the_case_and_commas():
    assert agreed(["Yesterday", "I", "go,"], ["yesterday", "i", "go", "to"]) == 3
    assert agreed(["I", "go", "to", "the", "bee"], ["I", "go", "to", "the", "beach"]) == 4
    assert agreed([], ["I"]) == 0
    assert agreed(["I", "--", "go"], ["I", "--", "go"]) == 1  # no word to agree on


@pytest.fixture(scope="module")
def clip(speech):
    return load_audio(speech(SAID))


@pytest.fixture(scope="module")
def long_clip(speech):
    """A turn of about 9 s: time for several drafts even where a draft takes 1.5 s or more
    (a slow or busy machine: drafts run only on cores nothing else wants)."""
    return load_audio(speech(f"{SAID} and then we ate pizza in a small cafe by the harbour"))


def test_a_recording_is_drafted_while_it_is_spoken(long_clip, whisper_base):
    clip = long_clip
    read: list[tuple[float, str]] = []
    live = LiveTranscript(
        whisper_base,
        speech_span,
        read_ahead=lambda text, whole: read.append((time.perf_counter(), text)),
    )
    speak_into(live, clip.samples)
    ended = time.perf_counter()
    final = live.finish(clip)
    # exactly what the same recording gets from a file: nothing lost to drafting
    assert final == whisper_base.transcribe(speech_span(clip).samples)
    assert live.stats.drafts >= 2 and len(live.stats.texts) == live.stats.drafts
    # the partner got most of the turn before the recording ended
    assert read and all(when < ended for when, _ in read[:-1])
    ahead = read[-1][1].split()
    # most of what it read was borne out (a draft's last words, said a moment before, can
    # still change: "afternoon. And then we ate pizza and a" for "..., and ... pizza in a")
    assert len(ahead) >= 6 and live.stats.ahead_kept >= 0.8 * len(ahead), (ahead, final)
    # the words shown while speaking were the final transcript's first words
    assert live.stats.confirmed >= 3 and live.stats.kept == live.stats.confirmed, (
        live.confirmed,
        final,
    )


def test_no_speech_is_the_usual_one_line_error(whisper_base):
    from im4talkin.errors import InputError
    from im4talkin.messages import Clip

    silence = np.zeros(SAMPLE_RATE * 2, np.float32)
    live = LiveTranscript(whisper_base, speech_span)
    speak_into(live, silence[: SAMPLE_RATE // 2])
    with pytest.raises(InputError, match="no speech heard"):
        live.finish(Clip(silence))


def test_a_spoken_turn_reads_ahead_then_answers_the_final_transcript(clip, whisper_base, rules):
    from im4talkin.feedback.engine import FeedbackEngine

    model = ScriptedModel("That sounds like a lovely day.")
    partner = Partner(model, load_topic("travel"), "B1")
    convo = Conversation(
        partner,
        FeedbackEngine([rules], rules.nlp),
        llm_feedback=False,
        asr=whisper_base,
        trim=speech_span,
    )
    convo.open()
    live = convo.listen()
    speak_into(live, clip.samples)
    result = convo.turn(clip, live=live)
    assert result.transcript.lower().startswith("yesterday i go to the beach")
    # read ahead: the start of the turn, before the partner was asked
    started = [s for s in model.started if s]
    assert started and result.transcript.startswith(started[-1].split()[0])
    assert model.prompts[-1][-1].content.startswith(result.transcript)
    assert result.timings.asr_live > 0 and result.timings.asr > 0
    assert convo.last_samples is live.samples


def test_the_final_pass_runs_when_the_speech_stops_before_enter(clip, whisper_base):
    """The learner stops, then reaches for Enter: the transcript is ready when they do."""
    wait = np.zeros(SAMPLE_RATE, np.float32)
    whole = type(clip)(np.concatenate([clip.samples, wait]))
    live = LiveTranscript(whisper_base, speech_span)
    speak_into(live, whole.samples)
    final = live.finish(whole)
    assert live.stats.early and live.stats.early_passes >= 1
    assert live.stats.final_s < 0.1  # nothing left to do at Enter
    assert 1.0 <= live.stats.after_speech_s <= 1.4  # the pause, and the clip's own 0.25 s
    assert final == whisper_base.transcribe(speech_span(whole).samples)


def test_speech_after_a_pause_is_heard_whatever_was_ready_in_the_pause(speech, whisper_base):
    first = load_audio(speech("I went to the market.")).samples
    second = load_audio(speech("Then we cooked dinner together.")).samples
    pause = np.zeros(SAMPLE_RATE, np.float32)
    from im4talkin.messages import Clip

    whole = Clip(np.concatenate([first, pause, second[: -SAMPLE_RATE // 5]]))
    live = LiveTranscript(whisper_base, speech_span)
    speak_into(live, whole.samples)
    final = live.finish(whole)
    assert live.stats.early_passes >= 1 and not live.stats.early  # the pause's pass: unused
    assert "dinner" in final.lower(), final


def test_a_recogniser_that_cannot_draft_hears_the_recording_when_it_ends(rules):
    from im4talkin.feedback.engine import FeedbackEngine

    class Slow:  # as SeamlessM4T on the CPU: no quick draft
        name = "slow"

        def transcribe(self, samples):
            return "I like trains."

    partner = Partner(ScriptedModel("Trains are great."), load_topic("travel"), "B1")
    convo = Conversation(
        partner, FeedbackEngine([rules], rules.nlp), llm_feedback=False, asr=Slow()
    )
    assert convo.listen() is None


def _policy(tid: str) -> int:
    """A thread's scheduling policy (field 41 of /proc/<pid>/task/<tid>/stat)."""
    with open(f"/proc/self/task/{tid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[38])


def test_drafts_run_on_a_model_of_their_own_when_the_cores_are_idle(clip, whisper_base):
    drafter = whisper_base.drafter()
    assert whisper_base.drafter() is drafter  # one for the session, loaded once
    done, got = threading.Event(), []
    assert drafter.submit(clip.samples, lambda text: (got.append(text), done.set()))
    assert not drafter.submit(clip.samples, lambda text: None)  # one draft at a time
    assert done.wait(60) and got[0].lower().startswith("yesterday i go"), got
    if sys.platform != "linux":
        return
    assert drafter.idle
    tasks = os.listdir("/proc/self/task")
    idle = [tid for tid in tasks if _policy(tid) == os.SCHED_IDLE]
    # the drafting thread and the worker threads its own model started; not the rest
    assert len(idle) >= 2 and len(idle) < len(tasks)
    assert str(threading.get_native_id()) not in idle


def _within(seconds: float, cond: Callable[[], bool]) -> bool:
    """Whether ``cond`` comes true within ``seconds`` (polled every 10 ms)."""
    end = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
    return True


def _blocked(release: threading.Event, text: str) -> Drafter:
    """A drafter whose every draft takes until ``release`` is set."""

    def make():
        def draft(samples):
            release.wait(60)
            return text

        return draft

    return Drafter(make, idle=False)


def test_the_end_of_a_recording_never_waits_for_a_draft(clip, whisper_base):
    """Enter pressed while a draft is under way: the final pass starts at once, and the
    draft, when it ends, is not read."""
    release, read = threading.Event(), []
    drafter = _blocked(release, "a late draft of the turn")
    live = LiveTranscript(
        whisper_base, speech_span, read_ahead=lambda text, whole: read.append(text), drafter=drafter
    )
    speak_into(live, clip.samples)
    out: list[str] = []
    finishing = threading.Thread(target=lambda: out.append(live.finish(clip)))
    finishing.start()
    finishing.join(60)
    assert not finishing.is_alive() and drafter.busy  # done, the draft still under way
    assert out == [whisper_base.transcribe(speech_span(clip).samples)]
    release.set()
    drafter.close()
    assert live.stats.drafts == 0 and "a late draft of the turn" not in read


def test_a_draft_that_ends_after_the_early_final_pass_is_not_read(clip, whisper_base):
    release, read = threading.Event(), []
    drafter = _blocked(release, "an older draft of the turn")
    live = LiveTranscript(
        whisper_base,
        speech_span,
        read_ahead=lambda text, whole: read.append((text, whole)),
        drafter=drafter,
    )
    wait = np.zeros(SAMPLE_RATE, np.float32)
    whole = type(clip)(np.concatenate([clip.samples, wait]))
    speak_into(live, whole.samples)  # the speech stops: the early pass, read whole
    # (on a slow or busy machine the early pass can take 2 s, past the end of the audio)
    assert _within(30, lambda: live.stats.early_passes == 1)
    release.set()  # then the draft begun while the learner spoke comes in
    drafter.close()
    assert _within(30, lambda: live.stats.drafts == 1)  # the worker has taken it
    final = live.finish(whole)
    assert live.stats.early and live.stats.drafts == 1
    assert read == [(final, True)]


def test_every_draft_done_before_the_end_is_read(clip, whisper_base):
    """Drafts come back while the worker is busy listening: none of them is dropped."""
    made: list[int] = []

    def make():
        def draft(samples):
            made.append(len(samples))
            return "yesterday i go to the beach"

        return draft

    drafter = Drafter(make, idle=False)
    live = LiveTranscript(whisper_base, speech_span, drafter=drafter, step_s=0.5)
    wait = np.zeros(SAMPLE_RATE, np.float32)
    speak_into(live, np.concatenate([clip.samples, wait]))  # every draft back by the end
    live.finish(type(clip)(np.concatenate([clip.samples, wait])))
    drafter.close()
    assert len(made) >= 4 and live.stats.drafts == len(made), (live.stats.drafts, made)
