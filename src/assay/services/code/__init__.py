"""Code tasks: runs in the sandbox, hidden tests, the code demo."""
