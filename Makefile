# Two commands: `make run` starts the app, `make test` runs the tests. Both set up .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
CHROMEDRIVER ?= /usr/bin/chromedriver

.PHONY: run test index clean browser guide-images

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
	rm -rf index .index.* test-artifacts

# The user guide's pictures are the browser tests' screenshots (run `make test` first).
GUIDE_IMAGES = 02_answer_with_citations 04_source_at_citation 06_commitments 07b_several_claims 10_older_answer_cards \
	11_broad_answer 14_phone_answer 15_phone_commitments 16_upload_form 17_uploaded_document_answered 18_scanned_pdf_answer
guide-images:
	mkdir -p docs/images
	for f in $(GUIDE_IMAGES); do cp test-artifacts/$$f.png docs/images/; done
