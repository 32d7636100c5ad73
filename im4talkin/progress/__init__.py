"""Learner progress: history records, mistakes that recur or stop, XP and reviews."""
