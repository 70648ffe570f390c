"""Pure dataclasses, enums and rules. Imports nothing else from assay except `assay.errors`."""
