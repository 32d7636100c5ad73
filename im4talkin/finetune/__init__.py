"""Fine-tuning: move Whisper between faster-whisper's CTranslate2 folder and transformers."""
