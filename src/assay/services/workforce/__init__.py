"""Workforce: the people doing the work — time reports (and, later, pay, levels and assessments)."""
