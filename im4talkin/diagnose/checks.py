"""The checks behind ``im4talkin doctor``.

Those that load native code (llama.cpp, CTranslate2, onnxruntime, Harper, PortAudio) run
in a child process through :mod:`.runner` and are named ``im4talkin.diagnose.checks:NAME``;
the others (versions, files, hashes, folders) run in the doctor's own process.
"""

from __future__ import annotations

import shutil
import sys
from importlib import metadata
from pathlib import Path

from .. import catalog
from ..config import load_settings
from ..errors import Im4talkinError
from .runner import FAIL, OK, WARN, Result

PHRASE = "Hello, how are you today?"
SOUNDS = "Thank you, the weather is very nice today."
"""Piper says it for the pronunciation check: /θ/, /ð/, /v/, /w/, /ɹ/ in words it scores."""
REINSTALL = "pip install -e . (in the folder you installed im4talkin from)"


# --------------------------------------------------------------------------- in process


def python() -> Result:
    version = ".".join(map(str, sys.version_info[:3]))  # pip refuses anything under 3.11
    return Result("python", OK, f"Python {version} ({sys.executable})")


def packages() -> Result:
    """Every package im4talkin needs is installed, in a version it accepts."""
    from packaging.requirements import Requirement

    try:
        needs = [Requirement(r) for r in metadata.requires("im4talkin") or ()]
    except metadata.PackageNotFoundError:
        return Result("packages", FAIL, "im4talkin itself is not installed", REINSTALL)
    needs = [r for r in needs if r.marker is None or r.marker.evaluate({"extra": ""})]
    bad, shown = [], []  # (the extras, seamless, finetune and test, are left out above)
    for req in needs:
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            bad.append(f"{req.name} missing")
            continue
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            bad.append(f"{req.name} {version} (needs {req.specifier})")
        elif req.name in ("llama-cpp-python", "faster-whisper", "piper-tts", "harper-py"):
            shown.append(f"{req.name} {version}")
    if bad:
        return Result("packages", FAIL, "; ".join(bad), REINSTALL)
    return Result("packages", OK, f"{len(needs)} needed, all installed: " + ", ".join(shown))


def model_files(item: catalog.Entry) -> Result:
    """A bundled model's files are there and their SHA-256 is the pinned one."""
    name = f"model {item.name}"
    ready, state = catalog.status(item)
    if not ready:
        return Result(name, FAIL, state, state.split(": ", 1)[-1] if ": " in state else "")
    results = catalog.verify(item)
    bad = [(path, detail) for path, ok, detail in results if not ok]
    if bad:
        path, detail = bad[0]
        fix = detail.split(": ", 1)[-1] if "pip install" in detail else "run im4talkin doctor again"
        return Result(name, FAIL, f"{Path(path).name}: {detail.split(':')[0]}", fix)
    what = f"{len(results)} files" if len(results) > 1 else "1 file"
    return Result(name, OK, f"{what}, SHA-256 ok ({item.size / 1e6:,.0f} MB)")


def pulled_models() -> Result:
    from .. import hub

    states = []
    for model in hub.PULLABLE.values():
        ok, state = hub.status(model)
        states.append(f"{model.name}: {'pulled' if ok else 'not pulled'}")
    return Result(
        "seamless models",
        OK,
        "; ".join(states) + " (only --profile seamless needs them: im4talkin models pull NAME)",
    )


def data_dir() -> Result:
    from ..paths import data_dir as where
    from ..paths import ensure_writable

    folder = where()
    try:
        ensure_writable(folder)
        probe = folder / ".doctor-write-test"
        probe.write_text("ok")
        probe.unlink()
    except (Im4talkinError, OSError) as err:
        return Result(
            "data folder", FAIL, f"{folder}: {err}", "set IM4TALKIN_HOME to a writable folder"
        )
    return Result("data folder", OK, f"{folder} is writable")


MIN_FREE = 500 * 10**6
LOW_FREE = 2 * 10**9


def disk() -> Result:
    from ..paths import data_dir as where
    from ..paths import models_dir

    lines, status = [], OK
    for label, folder in (("data", where()), ("models", models_dir())):
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        free = shutil.disk_usage(existing).free
        lines.append(f"{label} {free / 1e9:.1f} GB free")
        if free < MIN_FREE:
            status = FAIL
        elif free < LOW_FREE and status == OK:
            status = WARN
    fix = "" if status == OK else "free some disk space (recordings need about 1 MB a minute)"
    return Result("disk space", status, ", ".join(lines), fix)


# --------------------------------------------------------------------------- in a child


def llama_build() -> Result:
    """Which llama.cpp CPU code this install runs, and whether it is the portable build."""
    from ..llm import cpu

    try:
        import llama_cpp  # noqa: F401  (is it installed at all?)
    except ImportError:
        return Result("llama.cpp", FAIL, "llama-cpp-python is not installed", cpu.rebuild_command())
    choice = cpu.ensure()
    features = cpu.features()
    version = metadata.version("llama-cpp-python")
    if not choice.portable:
        wide = [f for f in features if f.startswith(("AVX512", "AMX"))]
        detail = f"{version}, one CPU code built in ({' '.join(features) or 'none listed'})"
        if wide:
            return Result(
                "llama.cpp",
                WARN,
                detail + f": needs {', '.join(wide)}, so this build crashes on other CPUs",
                "rebuild it portably: " + cpu.rebuild_command(),
            )
        return Result("llama.cpp", OK, detail)
    refused = "".join(f"; {n} refused ({how})" for n, how in choice.refused.items())
    detail = (
        f"{version}, portable ({len(choice.scores)} CPU variants), this machine runs "
        f"{choice.variant}: {' '.join(features)}{refused}"
    )
    return Result("llama.cpp", OK, detail)


def partner() -> Result:
    """The partner model loads and writes a few tokens."""
    from .. import registry
    from ..messages import ChatTurn

    settings = load_settings()
    name = settings.llm.name
    if name == "openai":
        return Result("partner model", WARN, "a server partner (--llm openai): not checked here")
    model = registry.create("llm", name, settings, n_ctx=256)
    words = "".join(model.stream([ChatTurn("user", "Say hello in three words.")], max_tokens=6))
    if not words.strip():
        return Result("partner model", FAIL, f"{model.name} wrote nothing", REINSTALL)
    adapter = getattr(model, "adapter", None)
    tuned = f" (with the {adapter} adapter)" if adapter else ""
    return Result("partner model", OK, f"{model.name}{tuned} wrote {words.strip()[:40]!r}")


def _voice():
    from .. import registry

    settings = load_settings()
    return registry.create("tts", settings.tts.name, settings)


def speech_out() -> Result:
    """Piper speaks one word."""
    voice = _voice()
    samples = voice.synthesize("hello")
    seconds = len(samples) / voice.sample_rate
    if seconds < 0.1 or not abs(samples).max() > 0.01:
        return Result("speech output", FAIL, f"{voice.name} made no sound for 'hello'", REINSTALL)
    return Result("speech output", OK, f"{voice.name}: {seconds:.1f} s of speech for 'hello'")


def speech_in() -> Result:
    """Whisper hears a second of Piper's speech."""
    from .. import registry
    from ..audio.io import to_mono_16k

    settings = load_settings()
    voice = _voice()
    audio = to_mono_16k(voice.synthesize(PHRASE), voice.sample_rate)
    asr = registry.create("asr", settings.asr.name, settings)
    heard = asr.transcribe(audio).strip()
    words = {w.strip(",.?!").lower() for w in heard.split()}
    if not {"hello", "how", "today"} & words:
        return Result("speech recognition", FAIL, f"heard {heard!r} for {PHRASE!r}", REINSTALL)
    return Result(
        "speech recognition",
        OK,
        f"{settings.asr.name}: heard {heard!r} ({len(audio) / 16000:.1f} s of speech)",
    )


def pronunciation() -> Result:
    """The phoneme recogniser scores the sounds of Piper's speech, and flags few of them."""
    from .. import registry
    from ..audio.io import to_mono_16k

    settings = load_settings()
    if not settings.feedback.sounds:
        return Result("pronunciation", OK, "off (feedback.sounds is empty)")
    voice = _voice()
    audio = to_mono_16k(voice.synthesize(SOUNDS), voice.sample_rate)
    checker = registry.sound_checker(settings)
    scored = [s for s in checker.check(SOUNDS, audio) if s is not None]
    flagged = [s.word for s in scored if not s.ok]
    if not scored or 2 * len(flagged) > len(scored):  # Piper's voice varies: one slip is noise
        what = f"flagged {', '.join(flagged)}" if flagged else "scored no word"
        return Result("pronunciation", FAIL, f"{what} in Piper's {SOUNDS!r}", REINSTALL)
    words = ", ".join(f"{s.word} /{''.join(s.expected)}/" for s in scored)
    right = f"{len(scored) - len(flagged)} of {len(scored)}"
    return Result("pronunciation", OK, f"{checker.recognizer.name}: {words}; {right} said right")


def feedback() -> Result:
    """spaCy, the learner rules and Harper correct one sentence; the language check passes it."""
    from .. import registry
    from ..feedback.language import looks_english

    settings = load_settings()
    text = "yesterday i goed to the beach"
    found = []
    for name in ("rules", "harper"):
        found += registry.create("checker", name, settings).check(text)
    if not looks_english(text):
        return Result("feedback", FAIL, f"the language check refused {text!r}", REINSTALL)
    if not any(c.corrected == "went" for c in found):
        return Result("feedback", FAIL, f"no 'went' for {text!r}: {found}", REINSTALL)
    return Result("feedback", OK, f"spaCy, rules and Harper: {text!r} -> 'went'")


def sound() -> Result:
    """PortAudio is there, and which microphones and speakers it sees."""
    from ..audio import devices

    sd = devices.sounddevice()
    if sd is None:
        return Result(
            "sound",
            WARN,
            "PortAudio is not installed: every turn is typed and replies are not spoken",
            "sudo apt-get install libportaudio2",
        )
    found = devices.listing()
    mics = sum(d["inputs"] > 0 for d in found)
    speakers = sum(d["outputs"] > 0 for d in found)
    version = sd.get_portaudio_version()[1].split(",")[0]  # "PortAudio V19.6.0-devel"
    detail = f"{version}: {mics} microphone(s), {speakers} speaker(s)"
    gaps = [
        w for w, n in (("no microphone: turns are typed", mics), ("no speakers", speakers)) if not n
    ]
    if gaps:
        fix = "plug in a headset, then: im4talkin devices"
        return Result("sound", WARN, f"{detail}; {' and '.join(gaps)}", fix)
    return Result("sound", OK, detail)


CHILD_CHECKS = (
    ("llama.cpp", "llama_build", 300),
    ("partner model", "partner", 600),
    ("speech output", "speech_out", 120),
    ("speech recognition", "speech_in", 300),
    ("pronunciation", "pronunciation", 120),
    ("feedback", "feedback", 120),
    ("sound", "sound", 60),
)
"""(name, function here, seconds allowed) of the checks that run in a child process."""
