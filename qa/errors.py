"""Domain errors. Only cli.py turns them into exit codes and only app.py into page messages."""

from __future__ import annotations


class QAError(Exception):
    """Base class: the message is meant for the user and is written in Chinese."""


class InputError(QAError, ValueError):
    """A question, claim or option the user gave cannot be used as it is."""


class CatalogError(QAError):
    """seeds/catalog.toml cannot be read or holds a bad value."""


class BadIndex(QAError):
    """An index folder is missing, half-written, corrupt or built from other settings."""


class ModelError(QAError):
    """A configured embedding model cannot be loaded."""


class MissingDependency(QAError):
    """An optional package is needed for this and is not installed."""

    def __init__(self, package: str, purpose: str):
        super().__init__(f"{purpose}需要安装 {package}：pip install {package}")
        self.package = package
