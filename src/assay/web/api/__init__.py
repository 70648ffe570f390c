"""JSON API v1: the twins of the pages, backed by the same service calls. Wire models: `assay.schemas`;
dependencies (caller, database, typed ids): `assay.web.deps`."""

from fastapi import APIRouter

from assay.web.api import (
    account,
    admin,
    annotations,
    authoring,
    code,
    datasets,
    explorer,
    exports,
    imports,
    gold,
    project_templates,
    projects,
    quality,
    records,
    records_table,
    source_judgments,
    work,
)

router = APIRouter()
router.include_router(work.router)  # first: routes match in order, and next/submit are the hot path
router.include_router(projects.router)
router.include_router(project_templates.router)  # the new-project gallery and file check (issue 19)
router.include_router(account.router)
router.include_router(admin.router)
router.include_router(records.router)
router.include_router(imports.router)  # file uploads: dry run and import (issue 19)
router.include_router(source_judgments.router)  # a data set's own preferences as judgments (issue 20)
router.include_router(records_table.router)
router.include_router(gold.router)
router.include_router(annotations.router)
router.include_router(exports.router)
router.include_router(datasets.router)
router.include_router(code.router)
router.include_router(explorer.router)
router.include_router(quality.router)
router.include_router(authoring.router)
