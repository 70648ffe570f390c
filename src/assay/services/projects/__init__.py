"""Projects: specs and files, records in, feeds and exports out."""
