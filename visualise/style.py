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
VERMILLION_TEXT, GREEN_TEXT, BLUE_TEXT = "#A33A00", "#00684C", "#005A8C"
HEAT = ("#FFF5EB", "#FDD0A2", "#FDA35B", "#E6550D", "#8C2D04")  # one hue, light to dark

GRAPH = {"rankdir": "TB", "newrank": "true", "fontname": FONT, "fontsize": "22",
         "labelloc": "t", "labeljust": "l", "nodesep": "0.3", "ranksep": "0.4",
         "pad": "0.4", "splines": "true", "outputorder": "edgesfirst", "bgcolor": "white"}
NODE = {"fontname": FONT, "fontsize": "12", "shape": "box", "style": "rounded,filled",
        "fillcolor": "white", "color": GREY, "fontcolor": INK, "penwidth": "1.2",
        "margin": "0.15,0.08"}
EDGE = {"fontname": FONT, "fontsize": "10.5", "color": GREY, "fontcolor": INK,
        "arrowsize": "0.8", "penwidth": "1.2"}

# One-page maps (pagemap.py): straight spine, tighter spacing; `size` is set per page.
GRAPHS: dict[str, dict[str, str]] = {
    "page_lr": {"rankdir": "LR", "nodesep": "0.12", "ranksep": "0.22", "pad": "0.05",
                "fontsize": "10", "labeljust": "l"},
    "page_tb": {"rankdir": "TB", "nodesep": "0.14", "ranksep": "0.2", "pad": "0.05",
                "fontsize": "10", "labeljust": "l"},
}

# Characters per line before wrapping.
WRAP = {"title": 32, "node": 40, "edge": 24, "legend": 60, "page_title": 18,
        "page_title_narrow": 12, "page_line": 24, "page_edge": 16, "page_note": 44,
        "page_key": 100, "page_band": 16}

_STAGE = {"shape": "box", "style": "rounded,filled", "fillcolor": "white", "color": GREY}
_PAGE = {"shape": "box", "style": "rounded,filled", "fillcolor": "white", "fontsize": "10",
         "margin": "0.06,0.03"}
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
    # one-page maps: phases as bands, the spine straight (one group, heavy edges)
    "band": {"style": "filled", "fillcolor": "#F4F4F4", "color": LIGHT_GREY, "fontsize": "11",
             "fontcolor": INK, "labeljust": "l", "margin": "6"},
    "page_spine": {**_PAGE, "color": INK, "penwidth": "1.8", "group": "spine"},
    "page_start": {**_PAGE, "color": BLUE, "penwidth": "2.5", "group": "spine"},
    "page_end": {**_PAGE, "color": INK, "peripheries": "2", "group": "spine"},
    "page_branch": {**_PAGE, "color": GREY, "style": "rounded,filled,dashed"},
    "page_spine_edge": {"color": INK, "penwidth": "2.5", "weight": "100", "arrowsize": "0.7"},
    "page_order_edge": {"style": "invis", "weight": "10"},
    "page_next_edge": {"style": "invis", "weight": "1000", "minlen": "1"},
    "page_band_spine_edge": {"color": INK, "penwidth": "2.5", "weight": "2",
                             "arrowsize": "0.7"},
    # a case on the one-page map (casepage.py)
    "page_spine_here": {**_PAGE, "color": BLUE, "penwidth": "3.5", "fillcolor": "#CCE3F2",
                        "group": "spine"},
    "page_branch_here": {**_PAGE, "color": BLUE, "penwidth": "3.5", "fillcolor": "#CCE3F2"},
    "page_spine_taken_edge": {"color": BLUE, "fontcolor": BLUE_TEXT, "penwidth": "4",
                              "weight": "100", "arrowsize": "0.7", "fontsize": "10"},
    "page_taken_edge": {"color": BLUE, "fontcolor": BLUE_TEXT, "penwidth": "4", "weight": "2",
                        "arrowsize": "0.7", "fontsize": "10"},
    "page_top": {"shape": "point", "style": "invis", "width": "0.01", "height": "0.01",
                 "group": "tops"},
    "page_branch_edge": {"color": GREY, "penwidth": "1.1", "weight": "1", "arrowsize": "0.6",
                         "fontsize": "10"},
}

# The case timeline (chart.py shapes): bars differ in fill, border and words, not colour alone.
_BAR = {"shape": "box", "style": "filled", "penwidth": "1"}
_TEXT = {"shape": "plaintext", "fontsize": "9", "fontcolor": INK}
CHART_LOOKS: dict[str, dict[str, str]] = {
    "chart_heading": {**_TEXT, "fontsize": "14"},
    "chart_text": _TEXT,
    "chart_row": _TEXT,
    "chart_month": {**_TEXT, "fontcolor": GREY},
    "chart_late": {**_TEXT, "fontcolor": VERMILLION_TEXT},
    "chart_tick": {"shape": "box", "style": "filled", "fillcolor": LIGHT_GREY,
                   "color": LIGHT_GREY, "penwidth": "0"},
    "chart_band": {"shape": "box", "style": "filled", "fillcolor": "#EEF6EC", "color": GREY,
                   "fontsize": "9", "fontcolor": INK},
    "chart_band_current": {"shape": "box", "style": "filled,bold", "fillcolor": "#CCE3F2",
                           "color": BLUE, "fontsize": "9", "fontcolor": INK},
    "chart_as_of": {"shape": "box", "style": "filled", "fillcolor": BLUE, "color": BLUE,
                    "penwidth": "0"},
    "chart_escalation": {**_TEXT, "fontsize": "11", "fontcolor": VERMILLION_TEXT},
    "chart_flag": {**_TEXT, "fontsize": "11", "fontcolor": INK},
    "bar_done": {**_BAR, "fillcolor": GREEN_TEXT, "color": GREEN_TEXT},
    "bar_done_late": {**_BAR, "fillcolor": ORANGE, "color": INK, "style": "filled,dashed",
                      "penwidth": "1.5"},
    "bar_not_yet_due": {**_BAR, "fillcolor": "white", "color": BLUE, "penwidth": "1.5"},
    "bar_due": {**_BAR, "fillcolor": "white", "color": BLUE, "penwidth": "1.5"},
    "bar_overdue": {**_BAR, "style": "striped,bold", "color": VERMILLION_TEXT,
                    "fillcolor": f"{VERMILLION}:white:{VERMILLION}:white:{VERMILLION}"},
    "bar_cancelled": {**_BAR, "fillcolor": "white", "color": GREY, "style": "dotted"},
    "bar_unknown": {**_BAR, "fillcolor": "white", "color": GREY, "style": "dashed"},
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
    "here": {"size": 13, "bold": True, "color": BLUE_TEXT},  # 5.6:1 on the current fill
    "escalation": {"size": 11, "bold": True, "color": VERMILLION_TEXT},
    "action_overdue": {"size": 11, "bold": True, "color": VERMILLION_TEXT},
    "action_due": {"size": 11},
    "action_unknown": {"size": 11, "italic": True},
    "count": {"size": 13, "bold": True},
    "bucket": {"size": 11},
    "text": {"size": 11},
    "legend_note": {"size": 11},
    "legend_warning": {"size": 11, "bold": True, "color": VERMILLION_TEXT},
    # one-page maps
    "page_heading": {"size": 14, "bold": True},
    "page_subtitle": {"size": 10},
    "page_title": {"size": 10, "bold": True},
    "page_title_narrow": {"size": 10, "bold": True},
    "page_owner": {"size": 10, "italic": True},
    "page_due": {"size": 10},
    "page_due_statutory": {"size": 10, "bold": True},
    "page_more": {"size": 10, "italic": True},
    "page_key": {"size": 10, "italic": True},
    "page_here": {"size": 10, "bold": True, "color": BLUE_TEXT},
    "page_visit": {"size": 10, "color": GREEN_TEXT},
    "page_overdue": {"size": 10, "bold": True, "color": VERMILLION_TEXT},
    "page_note": {"size": 10},
}

EDGE_LOOKS = frozenset(k for k in LOOKS if k.startswith(("transition", "reopen", "taken")))


def graph(kind: str) -> dict[str, str]:
    """Graph attributes for a kind of diagram (the one-page maps change a few)."""
    return {**GRAPH, **GRAPHS.get(kind, {})}


def look(name: str) -> dict[str, str]:
    """Graphviz attributes of a node, edge or cluster look (KeyError names a missing look)."""
    return LOOKS[name] if name in LOOKS else CHART_LOOKS[name]


def line(name: str) -> dict:
    """The font of a line of text in a node."""
    return LINES.get(name, LINES["text"])
