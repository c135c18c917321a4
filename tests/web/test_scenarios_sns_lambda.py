"""The scenario schema's SNS topics, topic producers and Lambda-style consumers."""

import pytest

from mqlab.scenarios.loader import validate
from tests.engine.test_scenario_sns_lambda import spec


def test_a_fan_out_scenario_with_a_lambda_consumer_is_valid():
    validate(spec())


def test_lambda_only_settings_are_refused_elsewhere_and_loop_settings_on_a_lambda():
    data = spec()
    data["consumers"][1]["batching_window"] = 2
    with pytest.raises(Exception, match="batching_window"):
        validate(data)
    data = spec()
    data["consumers"][0]["guarantee"] = "at-most-once"
    with pytest.raises(Exception, match="guarantee"):
        validate(data)
