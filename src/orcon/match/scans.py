"""How much of a scanned PDF a trace reads.

A PDF without a text layer (a printed copy, scanned) is drawn page by page and read
by OCR, which costs a few seconds a page; pages past those read are drawn smaller and
only looked at for shared photos. The command line and the API show these defaults
in their help, so they live here, away from the drawing and reading code.
"""

PDF_MAX_PAGES = 8  # pages of a PDF without text that are drawn and read, by OCR too
PDF_PHOTO_PAGES = 40  # pages drawn and looked at for shared photos only (OCR costs seconds)
MAX_READ_PAGES = 500  # pages of a scanned PDF that may be read by OCR (about half an hour)
