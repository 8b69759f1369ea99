"""Yangguang (阳光): information management and service platform for disabled persons' federations."""

import os

__version__ = "0.1.0"

# openpyxl reads and writes XLSX through lxml whenever lxml is installed, and
# python-docx (the plans' DOCX reports) brings lxml. Through lxml, openpyxl writes
# a carriage return in a cell raw, so it comes back as a line feed, and it writes
# non-ASCII text as character references: the files the platform made and checked
# (core.xlsx: text stored as typed; imports.reading's size checks) change. Keep
# openpyxl on the standard library's XML, as it was before lxml came in; a
# deployment may still say otherwise in its environment.
os.environ.setdefault("OPENPYXL_LXML", "False")
