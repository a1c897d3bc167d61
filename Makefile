# Overlay Studio: `make run` starts the app on the bundled sample; `make test` runs everything.
# Both create .venv and install what they need on a fresh machine.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
ADDRESS ?= 127.0.0.1
APT_PACKAGES := chromium dcmtk

.PHONY: run test lint typecheck unit e2e bench system-deps orthanc-deps clean fuzz pacs

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	# serve.py serves app.py with large downloads sent in chunks (studio/streaming.py).
	# Streamlit spools uploads to a temporary file while they arrive: keep it in memory.
	TMPDIR=$$( [ -d /dev/shm ] && echo /dev/shm || echo "$${TMPDIR:-/tmp}" ) \
	OVERLAY_STUDIO_SAMPLE=1 $(VENV)/bin/streamlit run serve.py \
		--server.port $(PORT) --server.address $(ADDRESS) --browser.gatherUsageStats false

# Debian packages the tests use: chromium for the browser tests; dcmtk, dicom3tools (dciodvfy)
# and dcm2niix as oracles; and what overlay de-identification needs: Tesseract with its English
# model (the OCR of Clean Graphics), and the DejaVu fonts its tests render text with.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v dcmj2pnm >/dev/null 2>&1 || missing="$$missing dcmtk"; \
	command -v dciodvfy >/dev/null 2>&1 || missing="$$missing dicom3tools"; \
	command -v dcm2niix >/dev/null 2>&1 || missing="$$missing dcm2niix"; \
	command -v tesseract >/dev/null 2>&1 || missing="$$missing tesseract-ocr"; \
	ls /usr/share/tesseract-ocr/*/tessdata/eng.traineddata >/dev/null 2>&1 || missing="$$missing tesseract-ocr-eng"; \
	[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -q >/dev/null && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing >/dev/null; \
	fi
	@$(MAKE) --no-print-directory orthanc-deps

# PACS tests and `make pacs`: Orthanc with its DICOMweb plugin. The package's postinst would
# start a system service; a policy-rc.d that exits 101 forbids that during the install
# (an existing policy-rc.d is kept and restored).
orthanc-deps:
	@if ! command -v Orthanc >/dev/null 2>&1 || [ ! -e /usr/share/orthanc/plugins/libOrthancDicomWeb.so ]; then \
		echo "Installing Debian packages: orthanc orthanc-dicomweb (no service is started)"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		policy=/usr/sbin/policy-rc.d; saved=""; \
		if [ -e $$policy ]; then saved=$$(mktemp) && $$SUDO cp -p $$policy $$saved; fi; \
		printf '#!/bin/sh\nexit 101\n' | $$SUDO tee $$policy >/dev/null && $$SUDO chmod 755 $$policy; \
		$$SUDO apt-get update -q >/dev/null && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends \
			orthanc orthanc-dicomweb >/dev/null; status=$$?; \
		if [ -n "$$saved" ]; then $$SUDO mv $$saved $$policy; else $$SUDO rm -f $$policy; fi; \
		exit $$status; \
	fi

# A lab demo: a throw-away Orthanc (temporary storage, DICOMweb on 127.0.0.1 and a DICOM port) holding the
# bundled sample and a generated series, and the app pointed at it. Ctrl+C stops both.
pacs: $(VENV)/.runtime orthanc-deps
	$(PY) tools/pacs_demo.py --port $(PORT)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check overlay_core studio pages app.py serve.py tests benchmarks tools
	# The core's layers (pyproject.toml [tool.importlinter]): no upward import, no loop.
	$(VENV)/bin/lint-imports

typecheck: $(VENV)/.dev
	$(VENV)/bin/mypy

unit: $(VENV)/.dev
	$(PY) -m pytest -q -m "not e2e"

e2e: $(VENV)/.dev system-deps
	$(PY) -m pytest -q -m e2e

test: $(VENV)/.dev system-deps lint typecheck
	$(PY) -m pytest -q

bench: $(VENV)/.dev system-deps
	$(PY) -m pytest -q benchmarks -o python_files="bench_*.py" --benchmark-only --benchmark-columns=min,median,max,rounds
	# Whole-process render, mask and 1024-px render of a 4096² four-plane file against dcmj2pnm.
	$(PY) benchmarks/bench_startup.py
	$(PY) benchmarks/batch_throughput.py
	# Clean Graphics over a 300-file archive on 2 workers (goal <= 3 min; --files 30 for a quick run).
	$(PY) benchmarks/bench_deid.py --files 300 --workers 2
	# The editor in Chromium (mouse-up to applied, rapid strokes, idle reruns): prints a table.
	$(PY) benchmarks/bench_editor.py
	# Inspect's cine in Chromium: rate reached for a 20-instance 512² series and a 20-frame image.
	$(PY) benchmarks/bench_cine.py
	# Ten browser sessions at once, and the server memory one opened file costs: two tables.
	$(PY) benchmarks/bench_sessions.py
	# The tools (issue 18): fill (core and click -> shown in Chromium), margin, interpolation, statistics
	# against their goals; --itk also compares ITK's contour interpolation.
	$(PY) benchmarks/bench_tools.py --browser
	# First contact: the first screen with the sample's picture, a 210 MB download's start.
	$(PY) benchmarks/bench_first_contact.py

# Reliability (issue 10): >= 10,000 mutated files through the core and the CLI, each in a
# worker subprocess with a time and a memory limit; any error but OverlayError, hang or
# abort fails. FUZZ_ARGS passes options (e.g. FUZZ_ARGS="--cases 500 --json out.json").
FUZZ_ARGS ?=
fuzz: $(VENV)/.dev
	$(PY) tools/fuzz.py --cases 10000 $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .benchmarks
