"""The portable llama.cpp build: the CPU variant chosen is the best one that really runs here.

llama.cpp picks a variant by CPUID alone; a variant whose instructions the machine refuses
(AMX on a virtual machine that hides it) dies with SIGILL. Here that is reproduced for real:
a variant this CPU cannot run is given the top score, and the trial run in a child process
must catch the crash and fall back. Skipped on a build with one CPU code built in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from im4talkin.llm import cpu

FILES = cpu.variant_files()
portable = pytest.mark.skipif(not FILES, reason="llama-cpp-python is not the portable build")
ROOT = Path(__file__).resolve().parents[1]

CHOOSE = """
import json, sys
from im4talkin.llm import cpu
top = sys.argv[1]
if top:  # pretend CPUID says this variant is the best (it cannot run here)
    real = cpu._score
    cpu._score = lambda path: 10**6 if path.name.startswith("libggml-cpu-" + top + ".") else real(path)
choice = cpu.ensure()
import llama_cpp
llm = llama_cpp.Llama(model_path=sys.argv[2], n_ctx=128, verbose=False)
text = llm.create_completion("Hello", max_tokens=2)["choices"][0]["text"]
print(json.dumps({"variant": choice.variant, "refused": choice.refused, "scores": choice.scores}))
"""


def _choose(top: str, models: Path) -> dict:
    env = {**os.environ, "IM4TALKIN_MODELS_DIR": str(models)}
    env.pop(cpu.FORCE_ENV, None)
    proc = subprocess.run(
        [sys.executable, "-c", CHOOSE, top, str(cpu.probe_model())],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@portable
def test_the_best_variant_that_runs_is_chosen_and_remembered(tmp_path):
    first = _choose("", tmp_path)
    scores, refused = first["scores"], first["refused"]
    # a variant is passed over only for dying in its trial: on a virtual machine that shows
    # AMX and refuses it (an Intel Xeon with AMX, 2026-12-07) sapphirerapids dies here
    assert all("SIGILL" in how for how in refused.values()), refused
    best = max((n for n in scores if scores[n] > 0 and n not in refused), key=scores.get)
    assert first["variant"] == best
    verdicts = json.loads((tmp_path / "llama-cpu.json").read_text())["verdicts"]
    assert verdicts.get(best, True) is True
    assert all(verdicts[n] is False for n in refused)
    assert _choose("", tmp_path)["variant"] == best  # from the verdict file, no trial


@portable
def test_a_variant_that_dies_with_sigill_is_skipped_for_good(tmp_path):
    scores = {name: cpu._score(path) for name, path in FILES.items()}
    unrunnable = [n for n, s in scores.items() if s == 0]
    # e.g. sapphirerapids (AMX) or skylakex (AVX-512) on an AVX2 CPU; a variant llama.cpp
    # scores 0 may still run a short trial (an AVX-512 CPU without BF16 runs zen4's)
    model = cpu.probe_model()
    doomed = next((n for n in reversed(unrunnable) if cpu.probe(n, model)[0] is False), None)
    if doomed is None:
        pytest.skip("no variant dies with SIGILL on this CPU: every one runs the trial")
    got = _choose(doomed, tmp_path)
    assert doomed in got["refused"] and "SIGILL" in got["refused"][doomed]
    assert got["variant"] != doomed and scores[got["variant"]] > 0
    verdicts = json.loads((tmp_path / "llama-cpu.json").read_text())["verdicts"]
    assert verdicts[doomed] is False
    again = _choose(doomed, tmp_path)  # the verdict is kept: no second crash
    assert again["variant"] == got["variant"] and "earlier trial" in again["refused"][doomed]


@portable
def test_the_trial_itself_runs_a_model(tmp_path):
    ok, how = cpu.probe(cpu.BASELINE, cpu.probe_model())
    assert (ok, how) == (True, "ran")


@portable
def test_a_forced_variant_that_does_not_exist_is_one_line(monkeypatch):
    monkeypatch.setenv(cpu.FORCE_ENV, "pentium2")
    code = "from im4talkin.llm import cpu; cpu.ensure()"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode != 0 and "pentium2 is not a llama.cpp CPU variant" in proc.stderr


def test_models_txt_builds_what_the_code_expects():
    """The README's install and the doctor's rebuild command are the same portable build."""
    line = next(x for x in (ROOT / "models.txt").read_text().splitlines() if x.startswith("llama"))
    assert line.startswith(f"llama-cpp-python=={cpu.LLAMA_VERSION} --hash=sha256:")
    defines = dict(
        part.split("=", 2)[1:] for part in line.split() if part.startswith("--config-settings=")
    )
    assert {k.removeprefix("cmake.define."): v for k, v in defines.items()} == cpu.PORTABLE_DEFINES
    assert "GGML_NATIVE=OFF" in cpu.rebuild_command()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'"llama-cpp-python=={cpu.LLAMA_VERSION}"' in pyproject
