"""Rasa-side speed-up, loaded by Rasa (Python 3.10) as a no-op NLU component of the pipeline.

Rasa 3.6 validates every action-server response with `jsonschema.validate()`, which
re-checks the (large) response schema against the JSON-Schema meta-schema on each
call: about 60-80 ms per custom action on this machine, most of a bot turn. Importing
this module replaces that check with a validator built once for the same schema, so
responses are validated exactly as before, only without re-checking the schema.
Remove `bot.rasa_speedups.RemoteActionSpeedup` from the pipeline to get stock behaviour.
"""

# ruff: noqa: UP006, UP019, UP035, UP045 - Rasa 3.6 inspects these annotations; keep typing forms
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

_validator: Any = None


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    global _validator
    from jsonschema import ValidationError, validators
    from jsonschema.exceptions import best_match

    if _validator is None:
        schema = self.action_response_format_spec()
        cls = validators.validator_for(schema)
        cls.check_schema(schema)
        _validator = cls(schema)
    error: Optional[ValidationError] = best_match(_validator.iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid."
        )
        raise error
    return True


RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class RemoteActionSpeedup(GraphComponent):
    """No-op pipeline component whose import installs the faster response validation."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RemoteActionSpeedup:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
