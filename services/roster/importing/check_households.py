"""农户 and 结对: the households, and which cadre each is paired with."""

from __future__ import annotations

import hashlib
from collections import defaultdict

from services.roster.importing.cells import (
    HOUSEHOLD_CATEGORIES,
    cell_text,
    parse_phone,
    parse_positive_int,
    person_name,
)
from services.roster.importing.checker import RosterCheck, Row
from services.roster.importing.layout import CADRES, HOUSEHOLDS
from services.roster.importing.plan import HouseholdPlan, PairingPlan, VillageKey
from services.roster.importing.problems import Param


def household_code(key: VillageKey, head: str) -> str:
    """A code for a household listed without one: stable, so re-imports find it again."""
    digest = hashlib.sha1("/".join((*key, head)).encode()).hexdigest()
    return "H" + digest[:10].upper()


def check_households(check: RosterCheck) -> None:
    for row in check.rows("households"):
        given = row.optional("code", cell_text)
        head = row.name("head")
        village = check.village(row)
        category = row.get("category", HOUSEHOLD_CATEGORIES.parse)
        size = row.optional("size", parse_positive_int)
        if not row.ok or village is None or category is None:
            # so a pairing naming this household does not repeat the problem
            check.failed_households |= {head, given if isinstance(given, str) else ""}
            continue
        made = not isinstance(given, str)
        code = given if isinstance(given, str) else household_code(village, head)
        if len(code) > 40:
            row.report("code", "too_long", "code", max_len=40)
        elif _new_household_code(check, row, code, made):
            check.household_rows[code] = (row.number, made)
            check.plan.households.append(HouseholdPlan(code, head, village, category, size))


def _new_household_code(check: RosterCheck, row: Row, code: str, made: bool) -> bool:
    if code not in check.household_rows:
        return True
    first, first_made = check.household_rows[code]
    if made and first_made:
        column = HOUSEHOLDS.column("code").header
        row.report("head", "duplicate_household", first=first, column=column)
    else:
        row.report("code", "duplicate_code", first=first)
    return False


def check_pairings(check: RosterCheck) -> None:
    index = _household_index(check)
    by_head: dict[str, list[str]] = defaultdict(list)
    for household, (head, _) in index.items():
        by_head[head].append(household)
    seen: dict[str, tuple[int, str]] = {}  # household code → row, cadre phone
    for row in check.rows("pairings"):
        phone = row.get("cadre_phone", parse_phone)
        cadre_village = _cadre_village(check, row, phone) if phone else None
        code = _paired_household(check, row, index, by_head)
        if not row.ok or phone is None or code is None:
            continue
        if _new_pairing(row, seen, code, phone):
            seen[code] = (row.number, phone)
            if cadre_village is not None and index[code][1] != cadre_village:
                village = cadre_village[2]
                row.report("cadre_phone", "other_village", warning=True, village=village)
            check.plan.pairings.append(PairingPlan(phone, code))


def _household_index(check: RosterCheck) -> dict[str, tuple[str, VillageKey]]:
    """Code → (head, village) for households stored or in the file (the file wins)."""
    keys = check.snap.village_keys()
    index = {code: (h.head_name, keys[h.village_id]) for code, h in check.snap.households.items()}
    index.update({h.code: (h.head, h.village) for h in check.plan.households})
    return index


def _cadre_village(check: RosterCheck, row: Row, phone: str) -> VillageKey | None:
    if phone in check.cadre_rows:
        return check.cadre_rows[phone][1]
    person = check.snap.people.get(phone)
    cadre = check.snap.cadres.get(person.id) if person and person.id is not None else None
    if cadre is not None:
        return check.team_villages.get(cadre.team_id)
    if phone in check.phone_rows:
        row.ok = False  # its cadre row already has an error; do not repeat it here
    else:
        sheet = CADRES.title
        check.unknown(row, "cadres", "cadre_phone", "unknown_cadre", phone=phone, sheet=sheet)
    return None


def _paired_household(
    check: RosterCheck,
    row: Row,
    index: dict[str, tuple[str, VillageKey]],
    by_head: dict[str, list[str]],
) -> str | None:
    code = row.optional("household_code", cell_text)
    if isinstance(code, str):
        return _household_by_code(check, row, index, code)
    if not all(row.sheet.has(k) for k in ("head", "township", "village")):
        row.report("household_code", "required")
        return None
    head = row.name("head")
    township, village = row.text("township"), row.text("village")
    county = row.optional("county", cell_text)
    if not (head and township and village):
        return None
    found = [
        c
        for c in by_head.get(head, [])
        if index[c][1][1:] == (township, village)
        and (not isinstance(county, str) or index[c][1][0] == county)
    ]
    if len(found) == 1:
        return found[0]
    if not found:
        params: dict[str, Param] = {"head": head, "township": township, "village": village}
        _unknown_household(check, row, head, "head", "head", params)
    else:
        codes = tuple(sorted(found))
        row.report("head", "ambiguous_household", head=head, count=len(found), codes=codes)
    return None


def _unknown_household(
    check: RosterCheck, row: Row, name: str, key: str, variant: str, params: dict[str, Param]
) -> None:
    if name in check.failed_households:
        row.ok = False  # its 农户 row already has an error; do not repeat it here
    else:
        check.unknown(row, "households", key, "unknown_household", variant, **params)


def _household_by_code(
    check: RosterCheck, row: Row, index: dict[str, tuple[str, VillageKey]], code: str
) -> str | None:
    if code not in index:
        _unknown_household(check, row, code, "household_code", "", {"household": code})
        return None
    head = row.optional("head", person_name)
    if isinstance(head, str) and head != index[code][0]:
        stored = index[code][0]
        row.report("head", "head_mismatch", household=code, stored=stored, head=head)
    return code


def _new_pairing(row: Row, seen: dict[str, tuple[int, str]], code: str, phone: str) -> bool:
    """One cadre per household: the same pair twice is harmless, two cadres are not."""
    if code not in seen:
        return True
    first, first_phone = seen[code]
    if first_phone == phone:
        row.report("cadre_phone", "duplicate_pairing", warning=True, first=first)
    else:
        row.report("cadre_phone", "household_paired_twice", first=first)
    return False
