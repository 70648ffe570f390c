"""HTML pages (server-rendered, enhanced with htmx and small JS modules)."""

from fastapi import APIRouter

from assay.web.pages import annotate, auth, projects

router = APIRouter(include_in_schema=False)
router.include_router(auth.router)
router.include_router(projects.router)
router.include_router(annotate.router)
