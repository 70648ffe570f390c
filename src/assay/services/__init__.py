"""Use cases. Each public function owns its transaction, raises assay.errors and returns domain objects."""
