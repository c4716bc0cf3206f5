"""村 and 派出单位: the places and dispatching units the other sheets name."""

from __future__ import annotations

from services.roster.importing.cells import LEVELS, parse_coordinate, parse_needs
from services.roster.importing.checker import RosterCheck, Row
from services.roster.importing.plan import KEEP, Keep, UnitPlan, VillagePlan


def check_villages(check: RosterCheck) -> None:
    for row in check.rows("villages"):
        key = (row.text("county"), row.text("township"), row.text("village"))
        needs = row.optional("needs", parse_needs)
        coords = _coords(row)
        if not all(key):
            continue
        if key in check.village_rows:
            first = check.village_rows[key]
            row.report("village", "duplicate_village", first=first)
            continue
        # Known even when another cell of the row is wrong, so rows naming this
        # village are still checked rather than all reported as "not found".
        check.village_rows[key] = row.number
        check.places.add(key)
        if row.ok:
            needs = "" if needs is None else needs
            check.plan.villages.append(VillagePlan(key, needs, coords))


def _coords(row: Row) -> tuple[float, float] | Keep | None:
    lat = row.optional("latitude", lambda v: parse_coordinate(v, 90, "latitude"))
    lon = row.optional("longitude", lambda v: parse_coordinate(v, 180, "longitude"))
    if lat is KEEP and lon is KEEP:
        return KEEP
    if isinstance(lat, float) and isinstance(lon, float):
        return (lat, lon)
    if isinstance(lat, float) != isinstance(lon, float):
        blank = "longitude" if isinstance(lat, float) else "latitude"
        if row.blank(blank):  # not when the other one was there but unreadable
            row.report(blank, "half_coordinates")
    return None


def check_units(check: RosterCheck) -> None:
    seen: dict[str, int] = {}
    for row in check.rows("units"):
        name = row.text("unit", max_len=100)
        level = row.get("level", LEVELS.parse)
        if not name:
            continue
        if name in seen:
            row.report("unit", "duplicate_unit", first=seen[name])
            continue
        seen[name] = row.number
        # None marks a unit whose row is wrong: known, but its cadres cannot be planned.
        check.units[name] = level if row.ok else None
        if row.ok and level is not None:
            check.plan.units.append(UnitPlan(name, level))
