"""SeamlessM4T v2 through transformers: speech recognition and the partner's voice of the
seamless profile (heavy imports happen when a backend is built, never at import time)."""
