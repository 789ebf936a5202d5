"""The apply step of a ScalingPolicy: writes to the steered minimum (server-side apply of that
one field under augur's scaling field manager), and restores it where augur held it raised."""

from __future__ import annotations

from augur.controllers.scaling_gather import read_holder
from augur.controllers.state import OperatorState
from augur.kube.ownership import ObjectKey
from augur.scaling.inputs import FloorHolder, hpa_holder, scaled_object_holder, steered_object
from augur.scaling.notes import Note
from augur.scaling.report import floor_event
from augur.scaling.steering import FIELD_MANAGER, FloorChange, floor_patch, restore_floor


async def write_floor(state: OperatorState, holder: FloorHolder, change: FloorChange) -> None:
    """Apply `change` to `holder` (force: another manager owns the field). Raises KubeError."""
    await state.scaling.io(
        state.kube.apply, floor_patch(holder, change), force=True, field_manager=FIELD_MANAGER
    )


def read_steered(state: OperatorState, namespace: str, steered: str | None) -> FloorHolder | None:
    """The object a kept `steered` ("Kind/name") names, read live; None when it is gone."""
    found = steered_object(steered)
    if found is None:
        return None
    api_version, kind, name = found
    obj = state.kube.get(ObjectKey(api_version, kind, namespace, name))
    if obj is None:
        return None
    return scaled_object_holder(obj) if kind == "ScaledObject" else hpa_holder(obj)


async def restore_steered(
    state: OperatorState, namespace: str, steered: str | None, hpa_name: str | None
) -> list[Note]:
    """Give back the original minimum of every object augur may hold raised for a policy:
    the kept `steered` one and the HPA (or its ScaledObject) `hpa_name`. Returns the Events
    of the restores made; raises KubeError when one could not be made."""

    def holders() -> list[FloorHolder]:
        found = [read_steered(state, namespace, steered)]
        if hpa_name is not None:
            found.append(read_holder(state, namespace, hpa_name))
        unique: dict[tuple[str, str], FloorHolder] = {}
        for holder in found:
            if holder is not None:
                unique.setdefault((holder.kind, holder.name), holder)
        return list(unique.values())

    notes = []
    for holder in await state.scaling.io(holders):
        change = restore_floor(holder)
        if change is not None:
            await write_floor(state, holder, change)
            notes.append(floor_event(change, holder))
    return notes


async def restore_previous(
    state: OperatorState, namespace: str, steered: str | None, current: FloorHolder | None
) -> list[Note]:
    """When `hpaRef` changed (or went), the object augur held raised before is no longer the
    one it steers: give it its original minimum back. Raises KubeError when that fails, so
    the evaluation stops before its status forgets which object is still raised."""
    if steered is None or (current is not None and steered == f"{current.kind}/{current.name}"):
        return []
    return await restore_steered(state, namespace, steered, None)
