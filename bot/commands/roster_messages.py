"""The words of the roster import's problems: the service reports a code, a variant and
parameters (``services.roster.importing.problems.Problem``); here they become a line for
people, ``工作队员 第5行 手机: 手机号重复（与第3行相同）``, in the translator's language.

Sheet, column and file names in the parameters are the roster file's own (the county
types them), so they appear as they are in every language.
"""

from __future__ import annotations

from locales import N_, Translator
from services.roster.importing.problems import Param, Problem

# (code, variant) → msgid; a code with one wording has the variant "".
MESSAGES: dict[tuple[str, str], str] = {
    ("roster_not_found", ""): N_("No such file or folder"),
    ("roster_unreadable", ""): N_(
        "Cannot read it: use an .xlsx workbook (save an old .xls as .xlsx first)"
    ),
    ("roster_no_csv", ""): N_("The folder holds no CSV files (they should be {files} and so on)"),
    ("roster_single_csv", ""): N_(
        "Put each sheet's CSV ({files} and so on) in one folder and import that folder"
    ),
    ("roster_empty", ""): N_(
        "The file holds nothing to import: every sheet is empty (a row whose first cell "
        "starts with {mark} is an example and is skipped)"
    ),
    ("missing_sheet", ""): N_("This sheet is missing"),
    ("unknown_sheet", ""): N_("Unknown sheet, ignored"),
    ("duplicate_sheet", ""): N_(
        'Same data as the sheet "{first}": each kind of data goes in one sheet only'
    ),
    ("id_card_ignored", ""): N_("ID card numbers are not kept: this column was not imported"),
    ("unknown_column", ""): N_("Unknown column, ignored"),
    ("duplicate_column", ""): N_('Same as the column "{first}"'),
    ("missing_columns", ""): N_("Required columns missing: {columns}"),
    ("required", ""): N_("Required"),
    ("too_long", ""): N_("Too long: at most {max_len} characters"),
    ("too_long", "code"): N_("Too long: a code has at most {max_len} characters"),
    ("bad_phone", ""): N_('Mobile number "{value}" is not valid: it must be 11 digits (mainland)'),
    ("bad_date", ""): N_('Date "{value}" not understood: write it as 2026-01-01'),
    ("bad_number", ""): N_('"{value}" is not a positive whole number'),
    ("bad_coordinate", "not_number"): N_('{axis} "{value}" is not a number'),
    ("bad_coordinate", "out_of_range"): N_(
        '{axis} "{value}" is out of range (-{limit:g} to {limit:g})'
    ),
    ("half_coordinates", ""): N_("Fill in both latitude and longitude, or neither"),
    ("unknown_role", ""): N_('Unknown role "{value}": choose {options}'),
    ("unknown_level", ""): N_('Unknown level "{value}": choose {options}'),
    ("unknown_post", ""): N_('Unknown post "{value}": choose {options}'),
    ("unknown_category", ""): N_('Unknown household category "{value}": choose {options}'),
    ("unknown_need", ""): N_('Unknown village category "{value}": choose {options}'),
    ("name_mismatch", ""): N_(
        'The same mobile number has the name "{name}" in {sheet} row {row}: they differ'
    ),
    ("unknown_place", ""): N_(
        'Cannot find "{path}": list the village in the "{sheet}" sheet first'
    ),
    ("duplicate_village", ""): N_("Duplicate village (same as row {first})"),
    ("duplicate_unit", ""): N_("Duplicate unit (same as row {first})"),
    ("duplicate_phone", ""): N_("Duplicate mobile number (same as row {first})"),
    ("unknown_unit", ""): N_(
        'Cannot find the dispatching unit "{unit}": list it in the "{sheet}" sheet first'
    ),
    ("term_end_before_start", ""): N_("The term must end after it starts"),
    ("one_per_village", ""): N_(
        "Term overlaps with {name} in row {first}: a village has one {post} at a time"
    ),
    ("one_per_village", "stored"): N_(
        "Term overlaps with {name} already stored (term {start} to {end}): a village has one "
        "{post} at a time; if replaced, list the predecessor in this sheet with the term's end"
    ),
    ("small_team", ""): N_("The {village} team has {serving} serving, fewer than {minimum}"),
    ("unknown_jurisdiction", ""): N_('Cannot find the {place} "{name}"'),
    ("unknown_jurisdiction", "unit"): N_('Cannot find the dispatching unit "{name}"'),
    ("ambiguous_jurisdiction", ""): N_(
        'The {place} "{name}" is not unique: {paths}; name the levels above, as in "{example}"'
    ),
    ("duplicate_approver", ""): N_("Same as row {first}, ignored"),
    ("duplicate_household", ""): N_(
        "Same head in the same village as row {first}: give both households a code in the "
        '"{column}" column'
    ),
    ("duplicate_code", ""): N_("Duplicate code (same as row {first})"),
    ("unknown_cadre", ""): N_(
        'No cadre with mobile number {phone}: list them in the "{sheet}" sheet first'
    ),
    ("unknown_household", ""): N_('No household with the code "{household}"'),
    ("unknown_household", "head"): N_('No household headed by "{head}" ({township}/{village})'),
    ("ambiguous_household", ""): N_(
        '{count} households are headed by "{head}" (codes {codes}): give the household code'
    ),
    ("head_mismatch", ""): N_(
        'The household "{household}" is headed by "{stored}", not "{head}" as in this row'
    ),
    ("other_village", ""): N_("The household is not in {village}, where this cadre serves"),
    ("duplicate_pairing", ""): N_("Same as row {first}, ignored"),
    ("household_paired_twice", ""): N_(
        "The household is already paired with another cadre in row {first}: one cadre per household"
    ),
}

# Parameters that carry a word of ours (not the file's), translated before use.
WORDS: dict[str, str] = {
    "latitude": N_("Latitude"),
    "longitude": N_("Longitude"),
    "first_secretary": N_("first secretary"),
    "leader": N_("team leader"),
    "village": N_("village"),
    "township": N_("township"),
    "county": N_("county"),
}
_WORD_PARAMS = ("axis", "post", "place")
# Pairings name a household by its code or by head, township and village: one choice.
_EITHER = N_("{code} (or {head}, {township}, {village})")


def problem_text(problem: Problem, t: Translator) -> str:
    """What is wrong, without where; a code this table does not know reads as itself."""
    msgid = MESSAGES.get((problem.code, problem.variant))
    if msgid is None:
        return problem.code
    params = {key: _param(key, value, t) for key, value in problem.params.items()}
    if problem.code == "missing_columns":
        params["columns"] = _missing_columns(problem, t)
    return t(msgid, **params)


def problem_line(problem: Problem, t: Translator) -> str:
    """``工作队员 第5行 手机: 手机号重复（与第3行相同）``; unknown parts are left out."""
    where = [problem.sheet] if problem.sheet else []
    if problem.row is not None:
        where.append(t(N_("row {row}"), row=problem.row))
    if problem.column:
        where.append(problem.column)
    text = problem_text(problem, t)
    return f"{' '.join(where)}: {text}" if where else text


def _param(key: str, value: Param, t: Translator) -> Param:
    if isinstance(value, tuple):
        return t(N_(", ")).join(value)
    if key in _WORD_PARAMS and isinstance(value, str) and value in WORDS:
        return t(WORDS[value])
    return value


def _missing_columns(problem: Problem, t: Translator) -> str:
    columns = problem.params.get("columns", ())
    names = list(columns) if isinstance(columns, tuple) else []
    either = problem.params.get("household")
    if isinstance(either, tuple) and len(either) == 4:
        code, head, township, village = either
        names.append(t(_EITHER, code=code, head=head, township=township, village=village))
    return t(N_(", ")).join(names)
