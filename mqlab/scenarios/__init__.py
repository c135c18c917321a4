"""Scenario files: the JSON format (``schema.json``), the library, and the loader.

``load(name_or_path)`` returns a validated scenario dict ready for
``engine.scenario.run``; a bad file raises ``ScenarioError`` whose ``problems`` name the exact
JSON path of each culprit and what is allowed there.
"""

from .loader import ScenarioError, find, library_names, load, problems_in, schema, validate

__all__ = ["ScenarioError", "find", "library_names", "load", "problems_in", "schema", "validate"]
