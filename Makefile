# Two commands: `make run` starts the app, `make test` runs the tests. Both set up .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
CHROMEDRIVER ?= /usr/bin/chromedriver

.PHONY: run test index clean browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of torch first: without the pin pip would pull the CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python app.py $(ARGS)

test: $(STAMP) browser
	$(BIN)/python -m pytest -q $(ARGS)

# The app's browser tests drive Debian's headless chromium through /usr/bin/chromedriver; scanned PDFs
# are read with tesseract (Simplified Chinese) and poppler's pdftoppm.
# Installed with apt when missing (as root, or with password-less sudo); otherwise those tests skip and say why.
APT_PACKAGES = chromium chromium-driver fonts-noto-cjk tesseract-ocr tesseract-ocr-chi-sim poppler-utils
browser:
	@if [ ! -x $(CHROMEDRIVER) ] || ! command -v tesseract >/dev/null || ! command -v pdftoppm >/dev/null \
	    || [ -z "$$(ls /usr/share/tesseract-ocr/*/tessdata/chi_sim.traineddata 2>/dev/null)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; else SUDO=no; fi; \
	  if command -v apt-get >/dev/null && [ "$$SUDO" != no ]; then \
	    echo "installing $(APT_PACKAGES) with apt-get"; \
	    $$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(APT_PACKAGES) \
	      || echo "browser tests: apt-get failed; they will be skipped"; \
	  else echo "browser tests: $(CHROMEDRIVER) missing and apt-get unavailable (or not root); they will be skipped"; fi; \
	fi

index: $(STAMP)
	$(BIN)/qa index

clean:
	rm -rf index test-artifacts
