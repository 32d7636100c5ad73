"""Sound devices through sounddevice (PortAudio). Import is lazy: it needs libportaudio2."""

from __future__ import annotations

from typing import Any

_alsa_handler: Any = None


def sounddevice() -> Any | None:
    """The sounddevice module, or None when PortAudio is not installed."""
    _quiet_alsa()  # before PortAudio starts, which probes ALSA's devices
    try:
        import sounddevice as sd
    except OSError:
        return None
    return sd


def _quiet_alsa() -> None:
    """Stop ALSA printing its own warnings (underruns, probed plugins) over the terminal."""
    global _alsa_handler
    if _alsa_handler is not None:
        return
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("asound")
    if not name:
        _alsa_handler = False
        return
    try:
        lib = ctypes.CDLL(name)
        kind = ctypes.CFUNCTYPE(
            None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
        )
        _alsa_handler = kind(lambda *args: None)
        lib.snd_lib_error_set_handler(_alsa_handler)
    except (OSError, AttributeError):
        _alsa_handler = False


def pick(device: str | None) -> int | str | None:
    """A ``--device`` value as sounddevice takes it: an index, a name fragment, or the default."""
    if device is None or device == "":
        return None
    return int(device) if device.isdigit() else device


def problem(device: str | None, kind: str) -> str | None:
    """Why ``device`` cannot be used for ``kind`` (``input`` or ``output``), or None if it can."""
    sd = sounddevice()
    if sd is None:
        return "PortAudio is not installed (Debian/Ubuntu: apt-get install libportaudio2)"
    try:
        sd.query_devices(pick(device), kind=kind)
    except (ValueError, sd.PortAudioError) as err:
        if device:
            return f"no {kind} device '{device}' ({err}); see 'im4talkin devices'"
        return f"no sound {kind} device found"
    return None


def listing() -> list[dict[str, Any]]:
    """Every device with its index, name, host API, channel counts and default rate."""
    sd = sounddevice()
    if sd is None:
        return []
    try:
        found = sd.query_devices()
        apis = sd.query_hostapis()
        default_in, default_out = sd.default.device
    except sd.PortAudioError:
        return []
    out = []
    for dev in found:
        out.append(
            {
                "index": dev["index"],
                "name": dev["name"],
                "api": apis[dev["hostapi"]]["name"],
                "inputs": dev["max_input_channels"],
                "outputs": dev["max_output_channels"],
                "rate": int(dev["default_samplerate"]),
                "default_input": dev["index"] == default_in,
                "default_output": dev["index"] == default_out,
            }
        )
    return out
