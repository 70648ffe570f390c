"""Annotation: the queue (exactly k), drafts and submissions, history, review, suggestions, judgment imports, problem reports."""
