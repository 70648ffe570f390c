"""Built-in pipeline steps, one module per step family."""
