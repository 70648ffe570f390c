"""Authoring with a live model: conversations, endpoints, generation, fact-checks, their records and exports."""
