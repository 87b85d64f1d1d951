"""Rasa-side cost of running the model's graph: the nodes called in order, without dask's scheduler.

Installed in the Rasa server (Python 3.10) on import; `bot.rasa_tracker_store`, which endpoints.yml names,
imports it (no retraining). Rasa 3.6 runs its graph twice or more per message (the NLU parse, then a policy
prediction for every action of the turn) through `dask.get`: for each run it derives the minimal schema of
the targets, builds a dask graph, orders it (`dask.order`) and fires the tasks through a synchronous
executor — about a tenth of the Rasa server's CPU per first turn, measured with py-spy during
`bench.new_conversations` (docs/reliability.md, "Session 10"). Here each (targets, inputs) pair is planned
once (the minimal schema's nodes in an order where every node comes after the nodes it needs) and each run
calls the nodes in that order: the same calls with the same arguments as dask makes, every node once,
the same result (`{node name: output}`) and the same errors (a `RuntimeError` becomes `GraphRunError`).

`Event.resolve_by_type`, called for every event read from the tracker store or an action's response,
walks all subclasses of `Event` each time; here the lookup is a dictionary built from the same walk (in
the same order, so the same class wins), rebuilt when a name is missing.
"""

# ruff: noqa: UP006, UP019, UP035, UP045 - Rasa 3.6 runs on Python 3.10
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple, Type

import rasa.shared.utils.common
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import Event

Plan = List[Tuple[Text, Tuple[Text, ...]]]  # (node name, names of the nodes it needs, in call order)


def plan(needs: Dict[Text, Tuple[Text, ...]], targets: List[Text], inputs: Tuple[Text, ...]) -> Plan:
    """The nodes `targets` depend on, each after the nodes it needs; `inputs` are given values (leaves).

    `needs` maps a node to the names it is called with; a name that is neither a node nor an input is
    passed as it is (as dask passes a non-key argument), so it is no step of its own.
    """
    order: Plan = []
    done = set(inputs)
    for target in targets:
        stack: List[Tuple[Text, int]] = [(target, 0)]
        while stack:
            name, i = stack.pop()
            if name in done or name not in needs:
                continue
            deps = needs[name]
            while i < len(deps) and (deps[i] in done or deps[i] not in needs):
                i += 1
            if i < len(deps):
                stack.append((name, i + 1))
                stack.append((deps[i], 0))
                continue
            done.add(name)
            order.append((name, deps))
    return order


def _run(self: DaskGraphRunner, inputs: Optional[Dict[Text, Any]] = None,
         targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
    run_targets = targets if targets else self._graph_schema.target_names
    inputs = inputs or {}
    plans: Dict[Any, Plan] = self.__dict__.setdefault("_bangban_plans", {})
    key = (tuple(run_targets), tuple(inputs))
    steps = plans.get(key)
    if steps is None:
        schema = self._graph_schema.minimal_graph_schema(run_targets)
        nodes = {name: tuple(node.needs.values()) for name, node in schema.nodes.items()}
        for value in inputs.values():
            if isinstance(value, str) and value in nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of the input names "
                    f"passed to the `run` method are the same as node names in the graph schema.")
        steps = plans[key] = plan({k: v for k, v in nodes.items() if k not in inputs}, run_targets, tuple(inputs))
    values: Dict[Text, Any] = {name: (name, value) for name, value in inputs.items()}
    try:
        for name, deps in steps:
            values[name] = self._instantiated_nodes[name](*(values.get(d, d) for d in deps))
        return dict(values.get(t, t) for t in run_targets)
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


_event_types: Dict[Text, Type[Event]] = {}
_stock_resolve = Event.resolve_by_type


def _resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    cls = _event_types.get(type_name)
    if cls is None:
        _event_types.clear()
        for sub in rasa.shared.utils.common.all_subclasses(Event):
            _event_types.setdefault(sub.type_name, sub)
        cls = _event_types.get(type_name)
    return cls if cls is not None else _stock_resolve(type_name, default)


DaskGraphRunner.run = _run  # type: ignore[method-assign]
Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]
