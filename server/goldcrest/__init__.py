"""Goldcrest: a language server that makes small local code models useful in the editor."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("goldcrest")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
