"""Entry point of `make run` (the Gradio interface lands with its own issue)."""

from qa.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["index"]))
