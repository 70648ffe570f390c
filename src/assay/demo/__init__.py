"""The demo: a small project with data written for Assay (not copied from any public set)."""
