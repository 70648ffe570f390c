"""Quality: agreement and rankings over submissions, gold tasks, the dashboard."""
