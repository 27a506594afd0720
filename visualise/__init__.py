"""Drawing for safeguard: procedure maps, one case's position, cohort heat maps, HTML pack.

Pipeline: extract (model + statuses -> Diagram) -> style (looks -> Graphviz attributes)
-> dot (the only module importing graphviz). Nothing here reaches into the engine's runtime.
"""
from .diagram import Cluster, Diagram, Edge, LegendEntry, Line, Node
from .dot import RenderError, render, to_dot
from .extract import case_diagram, cohort_diagram, procedure_diagram

__all__ = ["Cluster", "Diagram", "Edge", "LegendEntry", "Line", "Node", "RenderError",
           "case_diagram", "cohort_diagram", "procedure_diagram", "render", "to_dot"]
