"""Log sinks that are no files, and Docker's log drivers (daemon.json, compose logging)."""

from __future__ import annotations

from pathlib import Path

from auditor.collectors.host.readers.containers import read_container_logging, sink_kind
from auditor.collectors.host.root import HostRoot


def test_sink_kinds() -> None:
    assert [sink_kind(p) for p in ("/dev/stdout", "-/dev/stderr", "/proc/self/fd/1", "/dev/null", "/var/log/x")] == [
        "stream",
        "stream",
        "stream",
        "discard",
        "file",
    ]


def test_daemon_json_and_compose_logging(corpus: HostRoot, tmp_path: Path) -> None:
    for rel in ("scripts/configs/docker-daemon.json", "docker-compose.yml"):
        src = corpus.root / "rsyslog/deploy/docker-compose/rosi-collector" / rel
        dest = tmp_path / ("etc/docker/daemon.json" if rel.endswith(".json") else "opt/rosi/docker-compose.yml")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(src.read_bytes())
    got = read_container_logging(HostRoot(tmp_path))
    assert not got.errors and got.compose_files == ("/opt/rosi/docker-compose.yml",)
    daemon = next(d for d in got.drivers if d.scope == "daemon")
    assert daemon.driver.value == "syslog"
    services = [d for d in got.drivers if d.scope.startswith("service")]
    assert services and all(d.driver.value == "json-file" and d.option("max-size") is not None for d in services)
