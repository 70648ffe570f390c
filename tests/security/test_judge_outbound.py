"""Issue 18, finding 1, the pipeline side: an `llm_judge` step calls only hosts the `outbound_allowed_hosts`
setting allows (the same rule as model endpoints: loopback, private and link-local addresses only when
listed explicitly). A step pointed anywhere else is refused before anything connects, with an error naming
the step and the setting; the run fails instead of recording per-record errors.

Before this change the step built its own unguarded client: a spec pointed at 127.0.0.1, a private
address or 169.254.169.254 (cloud metadata) was called from the machine running the pipeline."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.main import app
from assay.datasets import DatasetStore, records_to_table
from assay.domain.records import Completion, Message, Record
from assay.errors import Forbidden
from assay.llm.fake_server import FakeLLMServer
from assay.llm.outbound import OutboundPolicy
from assay.pipelines.registry import build_step
from assay.pipelines.runner import run_pipeline
from assay.pipelines.spec import PipelineSpec


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, str]]:
    """A bare TCP listener on loopback standing in for an internal service: any connection to it shows."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.3)
    try:
        yield sock, f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    finally:
        sock.close()


def _connected(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except TimeoutError:
        return False
    conn.close()
    return True


def _store(tmp_path: Path) -> DatasetStore:
    store = DatasetStore(str(tmp_path / "store"))
    recs = [Record(external_id=f"r{i}", messages=[Message("user", f"question {i}?")],
                   completions=[Completion(f"answer {i}", "m")]) for i in range(3)]
    store.write_version("src", [records_to_table(recs)])
    return store


def _spec(base_url: str, tmp_path: Path, model: str = "m") -> PipelineSpec:
    return PipelineSpec.parse({"name": "judged", "steps": [
        {"llm_judge": {"base_url": base_url, "model": model, "rubric": "helpful",
                       "cache_dir": str(tmp_path / "cache")}}]})


@pytest.mark.parametrize("allowed", [(), ("*",), ("localhost", "*.internal")])
def test_a_judge_pointed_at_loopback_is_refused_before_connecting(tmp_path: Path, listener, allowed) -> None:  # type: ignore[no-untyped-def]
    """No list, any public host (`*`), or names only: loopback is not among them, so nothing connects."""
    sock, url = listener
    store = _store(tmp_path)
    with pytest.raises(Forbidden) as e:
        run_pipeline(store, _spec(url, tmp_path), "src@1", run_dir=tmp_path / "run",
                     outbound=OutboundPolicy(allowed))
    assert "llm_judge" in e.value.message and "127.0.0.1" in e.value.message
    assert "outbound_allowed_hosts" in e.value.message
    assert not _connected(sock)
    assert store.list_datasets() == ["src"]  # no version written


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.7:8000/v1",
                                 "http://[::1]:8000/v1", "http://[::ffff:127.0.0.1]:8000/v1",
                                 "http://localhost:8000/v1"])
def test_metadata_private_and_mapped_addresses_are_refused_with_any_public_host_allowed(url: str) -> None:
    """`*` allows any public host name: IP literals outside listed networks, and names resolving to
    loopback (`localhost`), are still refused."""
    from tests.pipelines.helpers import batch

    step = build_step("llm_judge", {"base_url": url, "model": "m", "rubric": "helpful"})
    step.bind_outbound(OutboundPolicy(("*",)))
    with pytest.raises(Forbidden) as e:
        step.process(batch(("q", "a")))
    assert "outbound_allowed_hosts" in e.value.message
    if "localhost" in url:
        assert "resolves to 127.0.0.1" in e.value.message or "resolves to ::1" in e.value.message


def test_a_step_given_no_allow_list_calls_nothing(listener) -> None:  # type: ignore[no-untyped-def]
    """Used as a library without `run_pipeline` (no policy bound): refused, nothing connects."""
    from tests.pipelines.helpers import batch

    sock, url = listener
    step = build_step("llm_judge", {"base_url": url, "model": "m", "rubric": "helpful", "cache_dir": ""})
    with pytest.raises(Forbidden, match="no outbound allow-list"):
        step.process(batch(("q", "a")))
    assert not _connected(sock)


def test_a_listed_address_is_called(tmp_path: Path) -> None:
    """The same run with 127.0.0.1 listed explicitly scores every record against the fake server."""
    store = _store(tmp_path)
    with FakeLLMServer() as server:
        res = run_pipeline(store, _spec(server.base_url, tmp_path, server.model), "src@1", run_dir=tmp_path / "run",
                           outbound=OutboundPolicy(("127.0.0.1",)))
        assert len(server.chat_requests()) == 3
    scores = store.read_table(res.manifest).column("llm_judge__score").to_pylist()
    assert len(scores) == 3 and all(s is not None for s in scores)


def test_the_cli_applies_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`assay pipeline run` takes the list from ASSAY_OUTBOUND_ALLOWED_HOSTS: refused (exit 1, the reason
    on screen, no request made) without it, run with the fake server's address listed."""
    store = _store(tmp_path)
    with FakeLLMServer() as server:
        spec = tmp_path / "spec.yaml"
        spec.write_text(f"name: judged\nsteps:\n  - llm_judge: {{base_url: '{server.base_url}', model: {server.model}, "
                        f"rubric: helpful, cache_dir: '{tmp_path / 'cache'}'}}\n")
        args = ["pipeline", "run", str(spec), "--input", "src@1", "--store", store.url]
        monkeypatch.setenv("ASSAY_OUTBOUND_ALLOWED_HOSTS", "")
        refused = CliRunner().invoke(app, args)
        assert refused.exit_code == 1, refused.output
        assert "may not call" in refused.output and "outbound_allowed_hosts" in refused.output
        assert server.chat_requests() == []
        monkeypatch.setenv("ASSAY_OUTBOUND_ALLOWED_HOSTS", "127.0.0.1")
        ok = CliRunner().invoke(app, args)
        assert ok.exit_code == 0, ok.output
        assert "judged@1" in ok.output and len(server.chat_requests()) == 3
