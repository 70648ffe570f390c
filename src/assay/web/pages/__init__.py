"""HTML pages (server-rendered, enhanced with htmx and small JS modules)."""

from fastapi import APIRouter

from assay.web.pages import account, admin, annotate, auth, code, dashboard, explorer, projects, review

router = APIRouter(include_in_schema=False)
router.include_router(auth.router)
router.include_router(projects.router)
router.include_router(annotate.router)
router.include_router(account.router)
router.include_router(admin.router)
router.include_router(code.router)
router.include_router(explorer.router)
router.include_router(dashboard.router)
router.include_router(review.router)

from assay.web.pages import authoring as _authoring  # noqa: E402

router.include_router(_authoring.router)
