"""The fault catalog: realistic failures injected into the world, consistent in every view.

`catalog.apply_fault(world, name, target, params)` applies one fault at the lab clock's
instant. A fault changes the estate's state, bends metric series with overlays, records
events, changes logs, and adds processes for what keeps happening (see docs/lab.md).
"""
