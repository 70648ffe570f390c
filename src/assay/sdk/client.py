"""`assay.Client`: the Python SDK over the REST API v1, using the same pydantic schemas as the server
(`assay.schemas`): requests are built and answers validated with them.

    client = assay.Client("http://127.0.0.1:8000", token="assay_…")
    project = client.create_project("project.yaml")
    client.add_records(project.id, records)                  # batched, with a progress bar
    for ann in client.iter_annotations(project.id): ...      # follows the cursor
    client.export(project.id, "dpo", "parquet", out_dir="dpo-data")

Every method raises `assay.errors` classes (NotFound, Invalid, Forbidden, Unauthenticated, Conflict,
Unavailable) built from the server's JSON error code. `project` arguments take an id or a project name.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Self

import httpx
import yaml
from rich.progress import Progress

from assay.errors import Invalid, NotFound
from assay.schemas import (
    AnnotationPage,
    AnnotationPublic,
    DatasetPublic,
    DatasetVersionPublic,
    ExportJobPublic,
    ExportPublic,
    ExportSummaryPublic,
    ImportPublic,
    MemberCreate,
    MemberPublic,
    ProjectCreate,
    ProjectPublic,
    PullRequest,
    PushPublic,
    PushRequest,
    RecordCreate,
    RecordPage,
    ReviewCreate,
    StoredRecordPublic,
    SuggestionPublic,
    UserPublic,
)
from assay.schemas.gold import GoldChangePublic, GoldRecordPublic, GoldSet, GoldUnset
from assay.schemas.imports import ImportJobPublic
from assay.schemas.source_judgments import SourceJudgmentsPublic
from assay.sdk.http import make_http, send

API = "/api/v1"
RecordLike = RecordCreate | dict[str, Any] | Any  # Any: anything with to_dict(), e.g. assay.domain Record


class Client:
    """A connection to one Assay server as one user (`token` from `assay tokens create` or the web UI).

    `transport` swaps the network for tests (any httpx transport); `http` hands over a ready httpx client
    instead (e.g. `fastapi.testclient.TestClient(app)`, which runs the real app in-process).
    """

    def __init__(self, url: str = "http://127.0.0.1:8000", token: str | None = None, *,
                 transport: httpx.BaseTransport | None = None, http: httpx.Client | None = None,
                 timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self._http = make_http(self.url, token, transport=transport, http=http, timeout=timeout)
        self._owns_http = http is None
        self._names: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"assay.Client({self.url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connection pool (not a client passed in as `http`)."""
        if self._owns_http:
            self._http.close()

    # -- plumbing --------------------------------------------------------------------------------------
    def _get(self, path: str, **params: Any) -> Any:
        return send(self._http, "GET", API + path, params=params or None).json()

    def _post(self, path: str, body: Any, **params: Any) -> Any:
        return send(self._http, "POST", API + path, json=body, params=params or None).json()

    def project_id(self, project: int | str) -> int:
        """The id of a project given by id or name. Raises NotFound when you see no such project."""
        if isinstance(project, int):
            return project
        if project.isdigit():
            return int(project)
        if project not in self._names:
            self._names = {p.name: p.id for p in self.list_projects()}
        if project not in self._names:
            raise NotFound(f"no project named {project!r} visible to you; list them with client.list_projects()")
        return self._names[project]

    # -- who and what ----------------------------------------------------------------------------------
    def me(self) -> UserPublic:
        """The user the token belongs to."""
        return UserPublic.model_validate(self._get("/me"))

    def list_projects(self) -> list[ProjectPublic]:
        """Projects you are a member of (all, for an admin), with progress counts."""
        return [ProjectPublic.model_validate(x) for x in self._get("/projects")]

    def get_project(self, project: int | str) -> ProjectPublic:
        """One project with its questions and progress."""
        return ProjectPublic.model_validate(self._get(f"/projects/{self.project_id(project)}"))

    def create_project(self, spec: ProjectCreate | dict[str, Any] | str | Path) -> ProjectPublic:
        """Create a project from a spec: a ProjectCreate, a dict, or the path of a YAML/JSON project file.
        You become its lead. Raises Conflict for a taken name, Invalid for a bad spec."""
        if isinstance(spec, (str, Path)):
            path = Path(spec)
            if not path.is_file():
                raise Invalid(f"project file {path} does not exist")
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        body = spec if isinstance(spec, ProjectCreate) else ProjectCreate.model_validate(spec)
        p = ProjectPublic.model_validate(self._post("/projects", body.model_dump(mode="json")))
        self._names[p.name] = p.id
        return p

    # -- members (the project's leads and admins) -----------------------------------------------------
    def members(self, project: int | str) -> list[MemberPublic]:
        """The project's members and their roles in it. Raises NotFound unless you lead the project."""
        return [MemberPublic.model_validate(x) for x in self._get(f"/projects/{self.project_id(project)}/members")]

    def add_member(self, project: int | str, username: str, role: str = "annotator") -> MemberPublic:
        """Add a person to the project, or change their role in it (`annotator`, `reviewer` or `lead`).
        Raises NotFound for an unknown username, Forbidden/NotFound unless you lead the project."""
        body = MemberCreate.model_validate({"username": username, "role": role})
        return MemberPublic.model_validate(
            self._post(f"/projects/{self.project_id(project)}/members", body.model_dump(mode="json")))

    def remove_member(self, project: int | str, user: int | str) -> None:
        """Take a person (user id or username) out of the project; their live leases end. Raises NotFound
        when they are not a member, Conflict when they are its only lead."""
        pid = self.project_id(project)
        if isinstance(user, str) and not user.isdigit():
            found = [m.user_id for m in self.members(pid) if m.username == user]
            if not found:
                raise NotFound(f"{user!r} is not a member of project {project}; see client.members({project!r})")
            user = found[0]
        send(self._http, "DELETE", f"{API}/projects/{pid}/members/{int(user)}")

    # -- records ---------------------------------------------------------------------------------------
    @staticmethod
    def _record(r: RecordLike) -> dict[str, Any]:
        if isinstance(r, RecordCreate):
            return r.model_dump(mode="json", exclude_none=True)
        if not isinstance(r, dict):
            if not hasattr(r, "to_dict"):
                raise Invalid(f"cannot send {type(r).__name__} as a record; pass a dict or a RecordCreate")
            r = r.to_dict()
        return RecordCreate.model_validate(r).model_dump(mode="json", exclude_none=True)

    def add_records(self, project: int | str, records: Iterable[RecordLike], *, batch_size: int = 1000,
                    pending: bool = False, progress: bool = True) -> ImportPublic:
        """Add records in batches of `batch_size` (one request each; each batch is all-or-nothing on the
        server, and ids already in the project are left as they are, so re-sending is safe). `pending`
        accepts records still lacking the completions the questions need (fill them with `assay generate`).
        Returns the summed counts. Raises Invalid naming the bad record (earlier batches stay added)."""
        if batch_size < 1:
            raise Invalid("batch_size must be at least 1")
        pid = self.project_id(project)
        items = list(records)
        total = ImportPublic(created=0, existing=0)
        params = {"pending": "true"} if pending else {}
        with Progress(disable=not progress, transient=True) as bar:
            task = bar.add_task("adding records", total=len(items))
            for i in range(0, len(items), batch_size):
                batch = [self._record(r) for r in items[i:i + batch_size]]
                res = ImportPublic.model_validate(self._post(f"/projects/{pid}/records", batch, **params))
                total = ImportPublic(created=total.created + res.created, existing=total.existing + res.existing)
                bar.advance(task, len(batch))
        return total

    def upload(self, project: int | str, path: str | Path, *, fmt: str = "auto", on_divergence: str = "keep",
               priority: int = 0, dry_run: bool = False, timeout: float = 24 * 3600.0,
               license: str = "") -> ImportJobPublic:
        """Import a file (JSONL, JSON array, CSV or Parquet, gzip too; any format `assay records import`
        reads) the way the import page does: the file is streamed to the server (never read whole here or
        there), checked by a dry run, then imported all or nothing. Returns the finished import job
        (`created`, `existing`, `skipped`, and `import_report`: the summary `assay records import` prints,
        with `license` when given), or with `dry_run` the finished check (`report`: counts,
        warnings with line and field, the first records). Raises Invalid naming the line and field when
        the file cannot be imported (nothing is stored); Forbidden/NotFound unless you lead the project."""
        pid = self.project_id(project)
        p = Path(path)
        if not p.is_file():
            raise Invalid(f"{p}: no such file; check the path", details={"file": str(p)})

        def chunks() -> Iterator[bytes]:
            with p.open("rb") as f:
                while block := f.read(1024 * 1024):
                    yield block

        params = {"fmt": fmt, "on_divergence": on_divergence, "priority": str(priority), "name": p.name,
                  **({"license": license} if license else {})}
        job = ImportJobPublic.model_validate(send(
            self._http, "POST", f"{API}/projects/{pid}/imports", params=params, content=chunks(),
            headers={"Content-Type": "application/octet-stream"}, timeout=None).json())
        job = self._finish_import(job, timeout)
        if job.error is not None:
            raise Invalid(job.error.message, details={"line": job.error.line, "field": job.error.field})
        if dry_run:
            return job
        job = ImportJobPublic.model_validate(send(self._http, "POST", f"{API}/projects/{pid}/imports/{job.id}/run"
                                                  ).json())
        return self._finish_import(job, timeout)

    def import_source_judgments(self, project: int | str, path: str | Path, *, fmt: str, question: str,
                                annotator: str, on_divergence: str = "keep") -> SourceJudgmentsPublic:
        """Import a data set that carries its own preference (`fmt` "hh": chosen/rejected; "oasst": ranks;
        "llmbar": gold label; "ultrafeedback": ratings; "shp": label) with that preference stored as a judgment
        by the source annotator `annotator` on the pairwise or ranking `question` (or a rating question, for
        ultrafeedback), the twin of `assay quality import-judgments`. Records already in the project are
        kept. The file is streamed. Raises Invalid naming the line and field (nothing stored), Forbidden /
        NotFound unless you lead the project."""
        pid = self.project_id(project)
        p = Path(path)
        if not p.is_file():
            raise Invalid(f"{p}: no such file; check the path", details={"file": str(p)})

        def chunks() -> Iterator[bytes]:
            with p.open("rb") as f:
                while block := f.read(1024 * 1024):
                    yield block

        params = {"fmt": fmt, "question": question, "annotator": annotator, "on_divergence": on_divergence,
                  "name": p.name}
        return SourceJudgmentsPublic.model_validate(send(
            self._http, "POST", f"{API}/projects/{pid}/source-judgments", params=params, content=chunks(),
            headers={"Content-Type": "application/octet-stream"}, timeout=None).json())

    def _finish_import(self, job: ImportJobPublic, timeout: float) -> ImportJobPublic:
        """Poll an import job until it is done; raises Invalid with the server's reason when it failed."""
        deadline = time.monotonic() + timeout
        while job.state in ("queued", "running"):
            if time.monotonic() > deadline:
                raise Invalid(f"import job {job.id} still {job.state} after {timeout:.0f} s; poll {job.poll}")
            job = ImportJobPublic.model_validate(send(self._http, "GET", job.poll, params={"wait": "20"},
                                                      timeout=60).json())
        if job.state == "failed":
            raise Invalid(f"the {job.kind} failed, nothing was imported: {job.message}")
        return job

    def iter_records(self, project: int | str, *, after: int = 0, page_size: int = 500
                     ) -> Iterator[StoredRecordPublic]:
        """Every record of the project with id > `after`, in id order, page by page (leads and admins)."""
        pid = self.project_id(project)
        while True:
            page = RecordPage.model_validate(self._get(f"/projects/{pid}/records", after=after, limit=page_size))
            yield from page.items
            if page.next_after is None:
                return
            after = page.next_after

    def iter_annotations(self, project: int | str, *, after: int = 0, page_size: int = 500
                         ) -> Iterator[AnnotationPublic]:
        """Submitted annotations with id > `after`, in id order, following the cursor to the end. Leads and
        admins get everyone's, others their own. Keep the last `id` you saw and pass it as `after` next
        time to read only new ones."""
        pid = self.project_id(project)
        while True:
            page = AnnotationPage.model_validate(
                self._get(f"/projects/{pid}/annotations", after=after, limit=page_size))
            yield from page.items
            if page.next_after is None:
                return
            after = page.next_after

    def suggestions(self, project: int | str, record_id: int) -> list[SuggestionPublic]:
        """Judge suggestions on one record (see `assay suggest`); annotators see them only when the project
        shows suggestions."""
        pid = self.project_id(project)
        return [SuggestionPublic.model_validate(x) for x in self._get(f"/projects/{pid}/records/{record_id}/suggestions")]

    # -- quality (routes served by web/api/quality.py, the quality engineer's) ----------------------------
    def metrics(self, project: int | str, *, unit: str = "hour") -> dict[str, Any]:
        """The lead's dashboard: progress, throughput per `unit`, agreement per question, a row per trainer."""
        return dict(self._get(f"/projects/{self.project_id(project)}/dashboard", unit=unit))

    def agreement(self, project: int | str) -> Any:
        """Agreement figures per question (Krippendorff's alpha and friends), as the server computes them."""
        return self._get(f"/projects/{self.project_id(project)}/agreement")

    def reviews(self, project: int | str, *, limit: int = 20) -> Any:
        """Submitted annotations waiting for your review (reviewers, leads, admins)."""
        return self._get(f"/projects/{self.project_id(project)}/review/queue", limit=limit)

    def review(self, project: int | str, annotation_id: int, decision: str, comment: str = "") -> Any:
        """Accept or reject one annotation (`decision` as the server documents: accepted | rejected)."""
        pid = self.project_id(project)
        body = ReviewCreate(decision=decision, comment=comment)
        return self._post(f"/projects/{pid}/annotations/{annotation_id}/review", body.model_dump(mode="json"))

    # -- gold records (leads and admins; web/api/gold.py) ------------------------------------------------
    def gold(self, project: int | str) -> list[GoldRecordPublic]:
        """The project's gold records with their expected answers, by record id."""
        pid = self.project_id(project)
        return [GoldRecordPublic.model_validate(x) for x in self._get(f"/projects/{pid}/gold")]

    def set_gold(self, project: int | str, expected: dict[str, Any], *, external_ids: Iterable[str] = (),
                 record_ids: Iterable[int] = ()) -> int:
        """Mark records gold with the same expected answers, e.g. `{"preference": {"choice": "a"}}` (checked
        per record by the server like a submission; all or nothing). Returns how many records. Raises
        Invalid naming the record and question of a bad answer, NotFound for a record not in the project."""
        body = GoldSet(expected=expected, external_ids=list(external_ids), record_ids=list(record_ids))
        out = self._post(f"/projects/{self.project_id(project)}/gold", body.model_dump(mode="json"))
        return GoldChangePublic.model_validate(out).records

    def unset_gold(self, project: int | str, *, external_ids: Iterable[str] = (), record_ids: Iterable[int] = ()
                   ) -> int:
        """Unmark records (all or nothing). Returns how many of them were gold."""
        body = GoldUnset(external_ids=list(external_ids), record_ids=list(record_ids))
        out = self._post(f"/projects/{self.project_id(project)}/gold/unset", body.model_dump(mode="json"))
        return GoldChangePublic.model_validate(out).records

    # -- exports ---------------------------------------------------------------------------------------
    def export(self, project: int | str, format: str = "dpo", file_format: str = "jsonl", *,
               out_dir: str | Path | None = None, **options: Any) -> ExportPublic:
        """Render an export on the server (dpo | sft | reward | kto | raw, as jsonl | parquet, with a dataset
        card); with `out_dir`, also download its files there. `options` are the split and the format's
        filters (test_fraction, min_agreement, ...; see `ExportOptions`). The server renders it as a job:
        a long one is polled until done. Raises Invalid for an unknown format or option, or a failed export."""
        pid = self.project_id(project)
        body = {"format": format, "file_format": file_format, "options": options}
        answer = self._post(f"/projects/{pid}/exports", body)
        while "rows" not in answer:  # 202: still rendering
            job = ExportJobPublic.model_validate(answer)
            if job.state == "failed":
                raise Invalid(job.message or "the export failed")
            if job.export is not None:
                answer = job.export.model_dump(mode="json")
                break
            time.sleep(0.5)
            answer = send(self._http, "GET", job.poll).json()
        res = ExportPublic.model_validate(answer)
        if out_dir is not None:
            self.download_export(pid, res.id, out_dir)
        return res

    def list_exports(self, project: int | str) -> list[ExportSummaryPublic]:
        """The project's rendered exports, newest first."""
        return [ExportSummaryPublic.model_validate(x) for x in self._get(f"/projects/{self.project_id(project)}/exports")]

    def download_export(self, project: int | str, export_id: str, out_dir: str | Path,
                        files: list[str] | None = None) -> list[Path]:
        """Download the files of an export (all, or those named) into `out_dir`; returns their paths."""
        pid = self.project_id(project)
        names = files
        if names is None:
            found = [e for e in self.list_exports(pid) if e.id == export_id]
            if not found:
                raise NotFound(f"no export {export_id!r} in project {pid}")
            names = found[0].files
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name in names:
            path = out / name
            url = f"{API}/projects/{pid}/exports/{export_id}/files/{name}"
            with self._http.stream("GET", url) as r:
                if r.status_code >= 400:
                    r.read()
                    send(self._http, "GET", url)  # raises the mapped error
                with path.open("wb") as f:
                    for chunk in r.iter_bytes():
                        f.write(chunk)
            paths.append(path)
        return paths

    # -- datasets --------------------------------------------------------------------------------------
    def list_datasets(self) -> list[DatasetPublic]:
        """Datasets in the server's store (admins and leads)."""
        return [DatasetPublic.model_validate(x) for x in self._get("/datasets")]

    def dataset_versions(self, name: str) -> list[DatasetVersionPublic]:
        """Every version of a dataset, oldest first."""
        return [DatasetVersionPublic.model_validate(x) for x in self._get(f"/datasets/{name}/versions")]

    def dataset_version(self, name: str, selector: str | int = "latest") -> DatasetVersionPublic:
        """One version's manifest: `selector` is a number, 'latest' or a content-hash prefix."""
        return DatasetVersionPublic.model_validate(self._get(f"/datasets/{name}/versions/{selector}"))

    def push(self, ref: str, project: int | str, *, where: str = "", q: str = "",
             conditions: list[str] | None = None) -> dict[str, Any]:
        """Send a dataset version's records (all of them, or the selection `where` / `q` / `conditions`
        make, as in the explorer) to a project you lead; records already there are left alone. Returns
        {"ref", "project_id", "created", "existing"}.

        Example: client.push("hh-clean@latest", "hh-review", where="pii__count = 0")"""
        body = PushRequest(project_id=self.project_id(project), where=where, q=q, conditions=list(conditions or []))
        return PushPublic.model_validate(self._post(f"/explore/{ref}/push", body.model_dump(mode="json"))).model_dump()

    def pull(self, project: int | str, name: str | None = None) -> DatasetVersionPublic:
        """Write the project's records with their submitted judgments as a new dataset version (in the
        dataset `name`, default '<project>-judgments'); its parents are the versions the records came from.

        Example: client.pull("hh-review", name="hh-judged")"""
        pid = self.project_id(project)
        body = PullRequest(name=name)
        return DatasetVersionPublic.model_validate(self._post(f"/projects/{pid}/pull", body.model_dump(mode="json")))
