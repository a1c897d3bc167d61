"""Run a throw-away Orthanc (Debian ``orthanc`` + ``orthanc-dicomweb``) on 127.0.0.1.

Used by the PACS tests (a fixture per test module) and by ``make pacs``. Each server gets a
temporary configuration and storage directory, a free HTTP port, a DICOM (DIMSE) port on
request (AE title ``ORTHANC``, called AE title checked, any calling AE title allowed to echo,
find, get, move and store; ``modalities`` names the C-MOVE destinations), HTTP remote access
refused (Orthanc 1.10 has no bind-address option; with
``RemoteAccessAllowed: false`` it answers only loopback clients), and is stopped (and its
storage removed) when the context ends.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")


def orthanc_binary() -> str | None:
    """Return the path of the ``Orthanc`` executable, or ``None``."""
    return shutil.which("Orthanc") or (
        "/usr/sbin/Orthanc" if Path("/usr/sbin/Orthanc").exists() else None)


def missing() -> str | None:
    """Say what is missing to run Orthanc with DICOMweb here, or ``None`` when nothing is."""
    if orthanc_binary() is None:
        return "Debian's orthanc is not installed (`make test` installs it)"
    if not DICOMWEB_PLUGIN.exists():
        return "Debian's orthanc-dicomweb is not installed (`make test` installs it)"
    return None


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Orthanc:
    """A running Orthanc: its DICOMweb URL, credentials, and process."""

    port: int
    directory: Path
    users: Mapping[str, str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    dicom_port: int | None = None
    aet: str = "ORTHANC"

    @property
    def dimse(self) -> str:
        """The DIMSE address as the operator writes it, ``dimse://ORTHANC@127.0.0.1:PORT``."""
        assert self.dicom_port is not None, "started without a DICOM port"
        return f"dimse://{self.aet}@127.0.0.1:{self.dicom_port}"

    @property
    def url(self) -> str:
        """The DICOMweb root, e.g. ``http://127.0.0.1:8042/dicom-web``."""
        return f"http://127.0.0.1:{self.port}/dicom-web"

    @property
    def config_path(self) -> Path:
        """The configuration file."""
        return self.directory / "orthanc.json"

    def request(self, path: str, data: bytes | None = None, method: str | None = None) -> bytes:
        """Call Orthanc's own REST API (as the first user, if any) and return the body."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method)
        if self.users:
            user, password = next(iter(self.users.items()))
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            req.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(req, timeout=10) as response:
            return bytes(response.read())

    def upload(self, data: bytes) -> None:
        """Store one DICOM file through the REST API (not through DICOMweb)."""
        self.request("/instances", data=data, method="POST")

    def start(self, timeout: float = 30.0) -> None:
        """Start the process and wait until it answers."""
        binary = orthanc_binary()
        assert binary is not None, missing()
        log = open(self.directory / "orthanc.log", "ab")
        self.process = subprocess.Popen([binary, str(self.config_path)], stdout=log, stderr=log,
                                        cwd=self.directory)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                tail = (self.directory / "orthanc.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"Orthanc exited with {self.process.returncode}: {tail}")
            try:
                self.request("/system")
                if self.dicom_port is not None:  # the DICOM port opens with the HTTP one; check it
                    socket.create_connection(("127.0.0.1", self.dicom_port), timeout=1).close()
                return
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"Orthanc did not answer on port {self.port} in {timeout} s") from None
                time.sleep(0.1)  # polling the server's own endpoint until it is up

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def write_config(
    directory: Path,
    port: int,
    users: Mapping[str, str] | None = None,
    lua: str | None = None,
    overwrite: bool = False,
    dicom_port: int | None = None,
    modalities: Mapping[str, tuple[str, int]] | None = None,
) -> None:
    """Write ``orthanc.json`` (and ``filter.lua``) into ``directory``.

    ``modalities`` maps an AE title to ``(host, port)``: where a C-MOVE to it is sent.
    """
    config: dict[str, object] = {
        "Name": "OverlayStudioTest",
        "StorageDirectory": str(directory / "storage"),
        "IndexDirectory": str(directory / "storage"),
        "HttpPort": port,
        "DicomServerEnabled": dicom_port is not None,
        "DicomAet": "ORTHANC",
        "DicomPort": dicom_port or 4242,
        "DicomCheckCalledAet": True,
        "DicomAlwaysAllowEcho": True, "DicomAlwaysAllowStore": True, "DicomAlwaysAllowFind": True,
        "DicomAlwaysAllowGet": True, "DicomAlwaysAllowMove": True,
        "DicomModalities": {aet: [aet, host, port] for aet, (host, port) in (modalities or {}).items()},
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": bool(users),
        "RegisteredUsers": dict(users or {}),
        "Plugins": [str(DICOMWEB_PLUGIN)],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": False, "Host": "127.0.0.1"},
        "OverwriteInstances": overwrite,
        "HttpThreadsCount": 8,
        "ConcurrentJobs": 1,
        "SaveJobs": False,
        "HttpDescribeErrors": False,
    }
    if lua:
        (directory / "filter.lua").write_text(lua)
        config["LuaScripts"] = [str(directory / "filter.lua")]
    (directory / "orthanc.json").write_text(json.dumps(config, indent=2))


@contextmanager
def running_orthanc(
    users: Mapping[str, str] | None = None,
    lua: str | None = None,
    overwrite: bool = False,
    directory: Path | None = None,
    dicom: bool = False,
    modalities: Mapping[str, tuple[str, int]] | None = None,
) -> Iterator[Orthanc]:
    """Start an Orthanc in a temporary directory; stop it and remove the directory after.

    ``users`` (name -> password) turns on HTTP basic authentication; ``lua`` is a Lua
    script (e.g. a ``ReceivedInstanceFilter``); ``overwrite`` lets a store replace an
    instance with the same SOP Instance UID; ``dicom`` opens a DICOM port (a free one) and
    ``modalities`` lists C-MOVE destinations (AE title -> host, port).
    """
    owned = directory is None
    root = Path(tempfile.mkdtemp(prefix="overlay-orthanc-")) if directory is None else directory
    try:
        server = Orthanc(port=free_port(), directory=root, users=dict(users or {}),
                         dicom_port=free_port() if dicom else None)
        write_config(root, server.port, users, lua, overwrite, server.dicom_port, modalities)
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        if owned:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":  # a quick manual check: python tools/orthanc.py
    with running_orthanc() as server:
        print(server.url, json.loads(server.request("/system"))["Version"], os.getpid())
