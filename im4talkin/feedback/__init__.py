"""Feedback on learner sentences: grammar checks, learner-error rules, LLM corrections."""
