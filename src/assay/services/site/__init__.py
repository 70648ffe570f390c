"""The site as a whole: the demo and the checks before a server starts."""
