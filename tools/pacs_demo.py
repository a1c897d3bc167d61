"""``make pacs``: a throw-away Orthanc with DICOMweb and DIMSE, loaded with demo files, and the app on it.

Orthanc listens on free ports (HTTP on 127.0.0.1; its DICOM port, AE title ``ORTHANC``) with
temporary storage (removed on exit) and holds the bundled sample (pydicom's
``examples.overlay``) and a generated series of four instances made from it, patient
*Demo^Series*, each with its own overlay plane. The app is started with both
``OVERLAY_STUDIO_DICOMWEB_URL`` and ``OVERLAY_STUDIO_DIMSE`` pointing at it: the *Server*
choice offers "Demo Orthanc (DICOMweb)" and "ORTHANC (DIMSE)". Ctrl+C stops both.

    .venv/bin/python tools/pacs_demo.py [--port 8501] [--instances 4]
"""

from __future__ import annotations

import argparse
import copy
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
from pydicom import dcmread, dcmwrite, examples
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from overlay_core.planes.reading import plane_bits
from overlay_core.planes.writing import set_plane
from tools.orthanc import missing, running_orthanc


def demo_series(count: int) -> list[bytes]:
    """Return ``count`` instances of one new series made from the bundled sample."""
    sample = dcmread(examples.get_path("overlay"))
    study, series = generate_uid(), generate_uid()
    base = plane_bits(sample, 0x6000)[0]
    out = []
    for number in range(1, count + 1):
        ds: Dataset = copy.deepcopy(sample)
        uid = generate_uid()
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.PatientName, ds.PatientID, ds.AccessionNumber = "Demo^Series", "DEMO-1", "DEMO-ACC-1"
        ds.StudyDescription, ds.SeriesDescription, ds.SeriesNumber = "Overlay Studio demo", "Demo series", 1
        ds.InstanceNumber = number
        set_plane(ds, 0x6000, np.roll(base, 12 * (number - 1), axis=1))
        buffer = io.BytesIO()
        dcmwrite(buffer, ds, enforce_file_format=True)
        out.append(buffer.getvalue())
    return out


def main() -> int:
    """Start Orthanc and the app; wait for Ctrl+C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8501, help="the app's port")
    parser.add_argument("--instances", type=int, default=4, help="instances in the generated series")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop Orthanc and the app on TERM too
    reason = missing()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    with running_orthanc(dicom=True) as server:
        server.upload(Path(examples.get_path("overlay")).read_bytes())
        for data in demo_series(args.instances):
            server.upload(data)
        print(f"Orthanc: DICOMweb on {server.url}, DIMSE on {server.dimse}, storage in {server.directory} "
              "(removed on exit)")
        env = {**os.environ, "OVERLAY_STUDIO_DICOMWEB_URL": server.url,
               "OVERLAY_STUDIO_DICOMWEB_NAME": "Demo Orthanc", "OVERLAY_STUDIO_DIMSE": server.dimse,
               "OVERLAY_STUDIO_SAMPLE": "0"}
        app = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(args.port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=Path(__file__).resolve().parents[1], env=env,
        )
        try:
            return app.wait()
        except KeyboardInterrupt:
            return 0
        finally:
            if app.poll() is None:
                app.terminate()
                app.wait(timeout=10)


if __name__ == "__main__":
    raise SystemExit(main())
