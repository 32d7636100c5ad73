"""Which of llama.cpp's CPU variants runs, on a portable build that ships them all.

``models.txt`` builds llama-cpp-python with ``GGML_BACKEND_DL`` and ``GGML_CPU_ALL_VARIANTS``:
one ``libggml-cpu-<variant>.so`` per x86-64 CPU generation (x64, sse42, ..., haswell,
skylakex, icelake, zen4, alderlake, sapphirerapids), so one wheel runs fast on any x86-64
CPU. llama.cpp's own choice reads CPUID only ("FIXME: this does not check for OS support"):
on a virtual machine whose CPU advertises AMX that the hypervisor does not let a process
use, it picks the AMX variant and the first prompt dies with "Illegal instruction". So the
choice is made here, before the first model loads:

1. rank the variants by llama.cpp's own score for this CPU (0: it cannot run here);
2. take the best one that has been seen to work on this machine: a variant never tried
   here runs a few tokens of SmolLM2 in a child process first, and one that dies there
   (SIGILL) is skipped for good; x64, the baseline, needs no trial;
3. register it with ggml, so llama.cpp's own loader finds a backend and stays out.

Verdicts are kept in ``<model cache>/llama-cpu.json``, keyed by this CPU, kernel and build,
so the trial runs once per machine (about 2 s). ``IM4TALKIN_LLAMA_CPU=<variant>`` forces a
variant, even one llama.cpp scores 0 here (that is how the trial runs it; it may crash).
A build without variant libraries (a fixed ``CMAKE_ARGS`` build, or a CUDA one) has its CPU
code linked in, and nothing here changes it.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import os
import platform
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ModelError, StorageError
from ..paths import models_dir
from ..store.files import write_file

log = logging.getLogger(__name__)

LLAMA_VERSION = "0.3.36"
PORTABLE_DEFINES = {
    "GGML_NATIVE": "OFF",
    "GGML_BACKEND_DL": "ON",
    "GGML_CPU_ALL_VARIANTS": "ON",
    "CMAKE_INSTALL_BINDIR": "llama_cpp/lib",
    "LLAVA_BUILD": "OFF",
}
"""The CMake settings of the portable build (the same as in ``models.txt``)."""
BASELINE = "x64"
"""The variant every x86-64 CPU runs: no trial needed."""
FORCE_ENV = "IM4TALKIN_LLAMA_CPU"
PROBE_TIMEOUT_S = 120.0


def rebuild_command() -> str:
    """The pip command that rebuilds llama-cpp-python portably (15-20 min on 2 cores)."""
    settings = " ".join(f"-C cmake.define.{k}={v}" for k, v in PORTABLE_DEFINES.items())
    return (
        f"pip install --force-reinstall --no-deps --no-cache-dir {settings} "
        f"llama-cpp-python=={LLAMA_VERSION}"
    )


def lib_dir() -> Path | None:
    """llama-cpp-python's folder of shared libraries, found without importing it."""
    from ..bundled import package_dir

    folder = package_dir("llama_cpp")
    return folder / "lib" if folder else None


def variant_files() -> dict[str, Path]:
    """{variant name: library} of a portable build; empty for a build with one CPU code."""
    folder = lib_dir()
    if folder is None or not folder.is_dir():
        return {}
    out = {}
    for path in sorted(folder.iterdir()):
        name = path.name
        if name.startswith("libggml-cpu-") and ".so" in name:
            out[name[len("libggml-cpu-") :].split(".so")[0]] = path
    return out


def _score(path: Path) -> int:
    """llama.cpp's own score of a variant for this CPU (0: it cannot run here)."""
    import llama_cpp  # noqa: F401  (loads the libggml-base that a variant links to)

    try:
        lib = ctypes.CDLL(str(path), mode=os.RTLD_LOCAL)
        fn = lib.ggml_backend_score
    except (OSError, AttributeError):
        return 0
    fn.restype = ctypes.c_int
    return int(fn())


def _fingerprint(files: dict[str, Path]) -> str:
    """What a verdict holds for: this CPU, this kernel and these very libraries."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "flags", "vendor_id")):
                cpu += line
                if line.startswith("flags"):
                    break
    except OSError:
        cpu = platform.processor()
    libs = [f"{n}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for n, p in sorted(files.items())]
    raw = "\n".join([cpu, platform.release(), *libs])
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _verdict_file() -> Path:
    return models_dir() / "llama-cpu.json"


def _read_verdicts(key: str) -> dict[str, bool]:
    try:
        data = json.loads(_verdict_file().read_text())
    except (OSError, ValueError):
        return {}
    return (
        {str(k): bool(v) for k, v in data.get("verdicts", {}).items()}
        if data.get("key") == key
        else {}
    )


def _write_verdicts(key: str, verdicts: dict[str, bool]) -> None:
    path = _verdict_file()
    try:
        write_file(path, json.dumps({"key": key, "verdicts": verdicts}, indent=1))
    except StorageError as err:  # not fatal: the trial runs again next time
        log.warning("cannot keep the llama.cpp CPU verdicts in %s: %s", path, err)


def probe_model() -> Path | None:
    """The small GGUF the trial runs (SmolLM2, from models.txt), if installed."""
    from ..bundled import SMOLLM2

    return SMOLLM2.path()


def probe(variant: str, model: Path) -> tuple[bool | None, str]:
    """Run a few tokens with ``variant`` in a child process: (verdict, what happened).

    The verdict is True when it ran, False when the child was killed by a signal (SIGILL:
    instructions the machine refuses), and None when it failed some other way (a broken
    model file, no answer in time), which says nothing about the variant.
    """
    env = {**os.environ, FORCE_ENV: variant}
    cmd = [sys.executable, "-m", "im4talkin.llm.cpu", str(model)]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, f"no answer in {PROBE_TIMEOUT_S:.0f} s"
    if proc.returncode == 0:
        return True, "ran"
    from ..diagnose.runner import describe_exit

    return (False if proc.returncode < 0 else None), describe_exit(proc.returncode, proc.stderr)


@dataclass
class Choice:
    """What :func:`ensure` decided."""

    portable: bool
    variant: str = ""
    scores: dict[str, int] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    """Variants that scored but died in their trial: name -> how."""


_lock = threading.Lock()
_choice: Choice | None = None


def _ggml() -> ctypes.CDLL:
    import llama_cpp  # noqa: F401  (loads libggml with llama)

    quiet = logging.getLogger("llama-cpp-python")  # llama.cpp's log lines go through it
    if quiet.level == logging.NOTSET:
        quiet.setLevel(logging.ERROR)  # as Llama(verbose=False) sets it: no "loaded CPU..."

    folder = lib_dir()
    assert folder is not None
    # The copy libllama loaded (by its soname): a wheel ships libggml.so and libggml.so.0
    # as two files, and registering a backend with the other copy would do nothing.
    try:
        lib = ctypes.CDLL("libggml.so.0")
    except OSError:
        lib = ctypes.CDLL(str(folder / "libggml.so"))
    lib.ggml_backend_load.restype = ctypes.c_void_p
    lib.ggml_backend_load.argtypes = [ctypes.c_char_p]
    lib.ggml_backend_reg_count.restype = ctypes.c_size_t
    return lib


_kept: list[ctypes.CDLL] = []
"""Variant libraries registered by hand: they must stay loaded."""


def _register(ggml: ctypes.CDLL, path: Path, by_hand: bool) -> bool:
    """Register a variant with ggml. ``ggml_backend_load`` refuses one that llama.cpp scores 0
    for this CPU; ``by_hand`` (a forced variant) registers it all the same, so a trial can
    find out for real what the machine does with code it does not support."""
    if not by_hand:
        return bool(ggml.ggml_backend_load(str(path).encode()))
    lib = ctypes.CDLL(str(path), mode=os.RTLD_LOCAL)
    lib.ggml_backend_init.restype = ctypes.c_void_p
    reg = lib.ggml_backend_init()
    if not reg:
        return False
    ggml.ggml_backend_register.argtypes = [ctypes.c_void_p]
    ggml.ggml_backend_register(reg)
    _kept.append(lib)
    return True


def ensure() -> Choice:
    """Register the best CPU variant that runs here, once per process (see the module doc)."""
    global _choice
    with _lock:
        if _choice is None:
            _choice = _choose()
        return _choice


def _choose() -> Choice:
    files = variant_files()
    if not files:
        return Choice(portable=False)
    ggml = _ggml()
    scores = {name: _score(path) for name, path in files.items()}
    choice = Choice(portable=True, scores=scores)
    if ggml.ggml_backend_reg_count():
        return choice  # someone registered a backend already
    forced = os.environ.get(FORCE_ENV, "").strip()
    if forced:
        if forced not in files:
            raise ModelError(
                f"{FORCE_ENV}={forced} is not a llama.cpp CPU variant here: "
                f"use one of {', '.join(files)}"
            )
        ranked = [forced]
    else:
        ranked = sorted((n for n, s in scores.items() if s > 0), key=scores.get, reverse=True)
    key = _fingerprint(files)
    verdicts = _read_verdicts(key)
    model = probe_model()
    for name in ranked:
        if not forced and name != BASELINE and name not in verdicts:
            if model is None:
                log.warning("no SmolLM2 to try llama.cpp's %s code with: using %s", name, BASELINE)
                continue
            ok, how = probe(name, model)
            if ok is None:
                log.warning("the trial of llama.cpp's %s code was inconclusive: %s", name, how)
            else:
                verdicts[name] = ok
                _write_verdicts(key, verdicts)
            if ok is False:
                choice.refused[name] = how
        if verdicts.get(name, True) is False:
            choice.refused.setdefault(name, "died in an earlier trial on this machine")
            continue
        if _register(ggml, files[name], by_hand=bool(forced)):
            choice.variant = name
            return choice
    raise ModelError(
        "no llama.cpp CPU code runs on this machine "
        f"({', '.join(f'{n}: {h}' for n, h in choice.refused.items()) or 'none scored'}); "
        f"rebuild it: {rebuild_command()}"
    )


def features() -> list[str]:
    """The CPU features the loaded llama.cpp code uses ("AVX2", "FMA", ...), from its
    system info ("CPU : SSE3 = 1 | AVX2 = 1 | ..."); call after :func:`ensure`."""
    import llama_cpp

    out = []
    for part in llama_cpp.llama_print_system_info().decode("utf-8", "replace").split("|"):
        key, _, value = part.rpartition("=")
        key = key.split(":")[-1].strip()
        if value.strip() == "1" and key and key not in out:
            out.append(key)
    return out


def _trial(model: Path) -> None:
    """The child of :func:`probe`: load the forced variant and the model, run a few tokens."""
    import llama_cpp

    ensure()
    llm = llama_cpp.Llama(model_path=str(model), n_ctx=256, n_threads=2, verbose=False)
    prompt = "Write one short sentence about a trip to the sea with friends and family: "
    llm.create_completion(prompt * 3, max_tokens=4, temperature=0.0)


if __name__ == "__main__":
    _trial(Path(sys.argv[1]))
