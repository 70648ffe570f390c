"""JSON API v1: the twins of the pages, backed by the same service calls."""

from fastapi import APIRouter

from assay.web.api import projects, work

router = APIRouter()
router.include_router(projects.router)
router.include_router(work.router)
