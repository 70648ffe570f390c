"""Query functions per noun: each takes a session or connection and never commits."""
