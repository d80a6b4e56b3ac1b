"""`StackStormPort` over the world: the catalog, parameter checks, and recorded executions.

Running an action records an execution with the lab clock's time. An action with a handler
(`remediations.py`: the actions whose effect the lab models) changes the world and gets its
result from the handler; any other succeeds at once and changes nothing, which its result says.
"""

from __future__ import annotations

from typing import Any

from connectors.stackstorm.models import Action, ActionParameter, Execution, ExecutionStatus
from core.errors import InvalidRequest, NotFound
from lab.world.remediations import HANDLERS, ActionHandler
from lab.world.world import World

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list, tuple),
    "object": (dict,),
}


class WorldStackStorm:
    """The world's StackStorm API."""

    def __init__(self, world: World, handlers: dict[str, ActionHandler] | None = None) -> None:
        """Serve `world`; `handlers` (default: the lab's remediations) give actions effects."""
        self._world = world
        self._handlers = dict(HANDLERS if handlers is None else handlers)

    async def list_actions(self, *, pack: str | None = None) -> list[Action]:
        """Actions, optionally of one pack."""
        return [a for a in self._world.actions if pack is None or a.pack == pack]

    async def get_action(self, ref: str) -> Action:
        """One action by ref."""
        for action in self._world.actions:
            if action.ref == ref:
                return action
        raise NotFound(f"StackStorm: no action {ref!r}")

    async def run_action(
        self, ref: str, parameters: dict[str, Any], *, user: str = ""
    ) -> Execution:
        """Check the parameters, run the action's handler if any, and record the execution."""
        action = await self.get_action(ref)
        _check(action, parameters)
        now = self._world.now()
        execution_id = self._world.rng.hex(24, "execution", len(self._world.executions))
        handler = self._handlers.get(ref)
        status: ExecutionStatus = "succeeded"
        if handler is None:
            result: dict[str, Any] = {"stdout": f"lab: {ref} recorded; it changes nothing here"}
        else:
            try:
                result = handler(self._world, dict(parameters))
            except Exception as e:  # an action's failure is its execution's status, not ours
                status, result = "failed", {"error": str(e)}
        execution = Execution(
            id=execution_id,
            action_ref=ref,
            parameters=dict(parameters),
            status=status,
            start_timestamp=now,
            end_timestamp=self._world.now(),
            result=result,
            user=user,
        )
        self._world.executions[execution_id] = execution
        return execution

    async def get_execution(self, execution_id: str) -> Execution:
        """One recorded execution."""
        try:
            return self._world.executions[execution_id]
        except KeyError:
            raise NotFound(f"StackStorm: no execution {execution_id!r}") from None


def _check(action: Action, parameters: dict[str, Any]) -> None:
    declared = {p.name: p for p in action.parameters}
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise InvalidRequest(f"{action.ref}: unknown parameters {', '.join(unknown)}")
    for param in action.parameters:
        if param.name not in parameters:
            if param.required:
                raise InvalidRequest(f"{action.ref}: parameter {param.name!r} is required")
            continue
        _check_type(action, param, parameters[param.name])


def _check_type(action: Action, param: ActionParameter, value: Any) -> None:
    wanted = _TYPES[param.type]
    wrong_bool = isinstance(value, bool) and param.type in ("integer", "number")
    if not isinstance(value, wanted) or wrong_bool:
        raise InvalidRequest(
            f"{action.ref}: parameter {param.name!r} must be of type {param.type}, "
            f"got {type(value).__name__}"
        )
    if param.enum is not None and value not in param.enum:
        raise InvalidRequest(f"{action.ref}: {param.name!r} must be one of {list(param.enum)}")
