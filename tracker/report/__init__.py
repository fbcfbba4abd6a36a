"""The board pack: a tagged (PDF/UA) A4 PDF for the oversight board, built from the same views as the pages.

Example:
    >>> from tracker.report import build_pack, list_packs, pack_pdf, PackResult
    >>> PackResult.__name__
    'PackResult'
"""

from tracker.report.build import (
    PackNotFound,
    PackResult,
    build_pack,
    default_period,
    list_packs,
    pack_pdf,
    previous_pack,
)

__all__ = ["PackNotFound", "PackResult", "build_pack", "default_period", "list_packs", "pack_pdf", "previous_pack"]
