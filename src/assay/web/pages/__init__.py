"""HTML pages (server-rendered, enhanced with htmx and small JS modules). The app mounts `router` with
`include_in_schema=False`: pages are not part of the API's OpenAPI document."""

from fastapi import APIRouter

from assay.web.pages import (
    account,
    admin,
    annotate,
    auth,
    authoring,
    code,
    dashboard,
    explorer,
    imports,
    projects,
    records_table,
    review,
)

router = APIRouter()
router.include_router(auth.router)
router.include_router(projects.router)
router.include_router(records_table.router)  # before annotate: /records/bulk is not a record id
router.include_router(annotate.router)
router.include_router(account.router)
router.include_router(admin.router)
router.include_router(code.router)
router.include_router(explorer.router)
router.include_router(dashboard.router)
router.include_router(review.router)
router.include_router(authoring.router)
router.include_router(imports.router)  # the import page: upload, dry run, import (issue 19)
