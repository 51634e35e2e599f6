"""Interop with the original Archon framework's JSON configs (import and export)."""

from .archon_json import ExportResult, ImportResult, export_architecture, import_file, import_text

__all__ = ["ExportResult", "ImportResult", "export_architecture", "import_file", "import_text"]
