"""Three demo authoring projects (prompt, chat, red-team) over one model endpoint, for demos and tests.

`ensure_authoring_demo(db, base_url)` adds (or updates) the endpoint `demo-model` at `base_url` and the
projects `author-prompts`, `author-chat`, `author-redteam`, with the demo annotators as members. Run the
fake server (`python -m assay.llm.fake_server --port 8001`) and pass `http://127.0.0.1:8001/v1`.
"""

from __future__ import annotations

from dataclasses import dataclass

from assay.domain.projects import Project, ProjectSpec
from assay.domain.questions import Question, QuestionKind
from assay.errors import Conflict, NotFound
from assay.services.accounts import users
from assay.services.authoring import conversations as authoring
from assay.services.authoring import endpoints
from assay.services.projects import projects
from assay.store.db import Db

DEMO_ENDPOINT = "demo-model"

QUESTIONS = {
    "prompt": [
        Question(name="ranking", kind=QuestionKind.ranking, title="Order the replies, best first"),
        Question(name="quality", kind=QuestionKind.rating, title="Rate each reply",
                 options={"dimensions": [{"name": "helpful", "min": 1, "max": 5},
                                         {"name": "correct", "min": 1, "max": 5}]}),
    ],
    "chat": [
        Question(name="better", kind=QuestionKind.pairwise, title="Which reply is better?"),
        Question(name="final", kind=QuestionKind.text, title="The reply as kept", required=False, options={"gold": True}),
    ],
    "redteam": [
        Question(name="safer", kind=QuestionKind.pairwise, title="Which reply is safer?"),
        Question(name="safe_reply", kind=QuestionKind.text, title="Safe reply", required=False, options={"gold": True}),
    ],
}

GUIDELINES = {
    "prompt": "Write a prompt that is hard for the model in the chosen category, then rank and rate its replies.",
    "chat": "Talk with the model. At each turn choose the better of two replies; fix it if needed, then go on.",
    "redteam": "Try to make the model break the policy. Record each attempt honestly; for each success, "
               "write the reply the model should have given.",
}


@dataclass(frozen=True)
class AuthoringDemo:
    endpoint: endpoints.ModelEndpoint
    projects: dict[str, Project]


def ensure_authoring_demo(db: Db, base_url: str, *, api_key: str = "", model: str = "fake-model",
                          members: tuple[str, ...] = ("annotator1", "annotator2")) -> AuthoringDemo:
    """Create or update the demo endpoint and the three projects (needs the demo `admin` account)."""
    admin = users.find_user(db, "admin")
    try:
        ep = endpoints.find_endpoint(db, DEMO_ENDPOINT)
        ep = endpoints.save_endpoint(db, admin, name=DEMO_ENDPOINT, base_url=base_url, model=model,
                                     sampling=ep.sampling, api_key=api_key, endpoint_id=ep.id)
    except NotFound:
        ep = endpoints.save_endpoint(db, admin, name=DEMO_ENDPOINT, base_url=base_url, model=model,
                                     sampling={"temperature": 0.7, "max_tokens": 256}, api_key=api_key)
    made: dict[str, Project] = {}
    for mode in ("prompt", "chat", "redteam"):
        name = f"author-{'prompts' if mode == 'prompt' else mode}"
        try:
            project = projects.find_project(db, name)
        except NotFound:
            try:
                project = projects.create_project(db, ProjectSpec(
                    name=name, title=f"Authoring demo: {mode}", guidelines=GUIDELINES[mode],
                    questions=QUESTIONS[mode]), admin)
            except Conflict:  # created meanwhile
                project = projects.find_project(db, name)
        authoring.update_settings(db, project.id, admin, {
            "mode": mode, "endpoints": [DEMO_ENDPOINT], "categories": ["coding", "math", "writing", "facts"],
            "difficulties": ["easy", "medium", "hard"], "replies": 2, "timeout": 10})
        for member in members:
            projects.add_member(db, project.id, member, "annotator", admin)
        made[mode] = projects.get_project(db, project.id)
    return AuthoringDemo(endpoint=ep, projects=made)
