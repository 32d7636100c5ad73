"""Audio in and out: files, the microphone, playback."""
