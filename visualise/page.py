"""Pages a map is fitted to, with the limits a reader needs on each (used by pagemap and the
tests): A4 either way up with 8 pt text at least, a 16:9 slide with 12 pt.

Sizes are in points (1/72 inch). A4 keeps 10 mm margins for the printer; a slide is filled.
"""
from __future__ import annotations

from dataclasses import dataclass

MM = 72 / 25.4
MAX_CROSSINGS = 10


@dataclass(frozen=True)
class Page:
    """One sheet or screen: its name, its size, margin and the smallest text allowed on it."""

    name: str
    words: str
    width: float
    height: float
    margin: float
    min_text: float
    landscape: bool

    def scale(self, width: float, height: float) -> float:
        """The factor that fits a drawing of this size to the printable area."""
        if width <= 0 or height <= 0:
            return 1.0
        return min((self.width - 2 * self.margin) / width,
                   (self.height - 2 * self.margin) / height)


A4_LANDSCAPE = Page("a4", "A4 landscape", 297 * MM, 210 * MM, 10 * MM, 8.0, True)
A4_PORTRAIT = Page("a4", "A4 portrait", 210 * MM, 297 * MM, 10 * MM, 8.0, False)
SLIDE = Page("slide", "16:9 slide", 960.0, 540.0, 0.0, 12.0, True)

# `--page NAME`: the pages tried, best first when they do equally well
PAGES: dict[str, tuple[Page, ...]] = {"a4": (A4_LANDSCAPE, A4_PORTRAIT), "slide": (SLIDE,)}
