"""Fleet power targets: "give me P kW for T minutes from this fleet, keep every battery above F %".

The plan is pure (dispatch.planning); this app stores it beside its dispatch job, turns each planned
request into a per-plant charge/discharge through the engine, and measures delivery from telemetry.
"""
