"""Scenario files: the JSON format (``schema.json``), the library, and the loader.

``load(name_or_path)`` returns a validated scenario dict ready for
``engine.scenario.run``; a bad file raises ``ScenarioError`` whose ``problems`` name the exact
JSON path of each culprit and what is allowed there.
``load_walkthrough(name_or_path)`` returns a validated walkthrough and its scenario for
``engine.scenario.Walkthrough``.
"""

from .loader import (
    ScenarioError,
    catalog,
    find,
    library_names,
    load,
    problems_in,
    schema,
    validate,
)
from .walkthroughs import load_walkthrough, walkthrough_names, walkthrough_problems

__all__ = ["ScenarioError", "catalog", "find", "library_names", "load", "load_walkthrough",
           "problems_in", "schema", "validate", "walkthrough_names", "walkthrough_problems"]
