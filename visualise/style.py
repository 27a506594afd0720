"""Style: the one table from semantic look names to Graphviz attributes (second step).

Colours are the Okabe-Ito colour-blind-safe palette, and one sequential single-hue (orange)
ramp for the heat map. Colour never carries meaning alone: every look that matters also has
words or a symbol in the text extract writes (▶ HERE, ✓, ⚠ OVERDUE, ■■□□ bucket names).
"""
from __future__ import annotations

FONT = "Helvetica,Arial,sans-serif"

# Okabe-Ito (Okabe & Ito 2008), plus darker shades of the same hues for text on white.
BLUE, SKY, GREEN, ORANGE, VERMILLION = "#0072B2", "#56B4E9", "#009E73", "#E69F00", "#D55E00"
INK, GREY, LIGHT_GREY = "#1A1A1A", "#595959", "#B3B3B3"
VERMILLION_TEXT, GREEN_TEXT = "#A33A00", "#00684C"
HEAT = ("#FFF5EB", "#FDD0A2", "#FDA35B", "#E6550D", "#8C2D04")  # one hue, light to dark

GRAPH = {"rankdir": "TB", "newrank": "true", "fontname": FONT, "fontsize": "22",
         "labelloc": "t", "labeljust": "l", "nodesep": "0.3", "ranksep": "0.4",
         "pad": "0.4", "splines": "true", "outputorder": "edgesfirst", "bgcolor": "white"}
NODE = {"fontname": FONT, "fontsize": "12", "shape": "box", "style": "rounded,filled",
        "fillcolor": "white", "color": GREY, "fontcolor": INK, "penwidth": "1.2",
        "margin": "0.15,0.08"}
EDGE = {"fontname": FONT, "fontsize": "10.5", "color": GREY, "fontcolor": INK,
        "arrowsize": "0.8", "penwidth": "1.2"}

# Characters per line before wrapping.
WRAP = {"title": 32, "node": 40, "edge": 24, "legend": 60}

_STAGE = {"shape": "box", "style": "rounded,filled", "fillcolor": "white", "color": GREY}
_HEAT = {"shape": "box", "style": "rounded,filled", "color": GREY, "penwidth": "1.2"}

LOOKS: dict[str, dict[str, str]] = {
    # clusters
    "phase": {"style": "rounded,filled", "fillcolor": "#F4F4F4", "color": LIGHT_GREY,
              "fontsize": "16", "fontcolor": INK, "labeljust": "l", "margin": "10"},
    "legend": {"style": "rounded", "color": GREY, "fontsize": "14", "labeljust": "l",
               "margin": "10"},
    # stages on the procedure map
    "stage": _STAGE,
    "stage_start": {**_STAGE, "color": BLUE, "penwidth": "2.5"},
    "stage_terminal": {**_STAGE, "peripheries": "2"},
    "any": {"shape": "box", "style": "rounded,dashed", "color": GREY, "fontcolor": GREY},
    # stages on a case overlay
    "stage_current": {**_STAGE, "fillcolor": "#CCE3F2", "color": BLUE, "penwidth": "3.5"},
    "stage_visited": {**_STAGE, "fillcolor": "#EEF6EC", "color": GREEN, "penwidth": "1.8"},
    "stage_unvisited": {**_STAGE, "color": LIGHT_GREY, "fontcolor": GREY},
    # stages on a cohort heat map: shade by share of cases with an overdue action
    **{f"heat_{i}": {**_HEAT, "fillcolor": colour, "fontcolor": INK if i < 4 else "white"}
       for i, colour in enumerate(HEAT)},
    "heat_empty": {**_HEAT, "fillcolor": "white", "style": "rounded,filled,dashed",
                   "color": LIGHT_GREY, "fontcolor": GREY},
    # transitions
    "transition": {"color": GREY},
    "reopen": {"color": GREY, "style": "dashed"},
    "transition_dim": {"color": LIGHT_GREY, "fontcolor": GREY},
    "reopen_dim": {"color": LIGHT_GREY, "fontcolor": GREY, "style": "dashed"},
    "taken": {"color": BLUE, "fontcolor": BLUE, "penwidth": "3.5", "fontsize": "12"},
    "taken_reopen": {"color": BLUE, "fontcolor": BLUE, "penwidth": "3.5", "style": "dashed"},
}

# Lines of text inside a node (HTML-like labels): size, bold, italic, colour (None: inherit).
LINES: dict[str, dict] = {
    "diagram_title": {"size": 22, "bold": True},
    "diagram_subtitle": {"size": 14},
    "cluster_title": {"bold": True},
    "legend_title": {"size": 14, "bold": True},
    "title": {"size": 15, "bold": True},
    "owner": {"size": 11, "italic": True},
    "requirement": {"size": 11},
    "statutory": {"size": 11},
    "visit": {"size": 11, "color": GREEN_TEXT},
    "here": {"size": 13, "bold": True, "color": BLUE},
    "escalation": {"size": 11, "bold": True, "color": VERMILLION_TEXT},
    "action_overdue": {"size": 11, "bold": True, "color": VERMILLION_TEXT},
    "action_due": {"size": 11},
    "action_unknown": {"size": 11, "italic": True},
    "count": {"size": 13, "bold": True},
    "bucket": {"size": 11},
    "text": {"size": 11},
    "legend_note": {"size": 11},
    "legend_warning": {"size": 11, "bold": True, "color": VERMILLION_TEXT},
}

EDGE_LOOKS = frozenset(k for k in LOOKS if k.startswith(("transition", "reopen", "taken")))


def look(name: str) -> dict[str, str]:
    """Graphviz attributes of a node, edge or cluster look (KeyError names a missing look)."""
    return LOOKS[name]


def line(name: str) -> dict:
    """The font of a line of text in a node."""
    return LINES.get(name, LINES["text"])
