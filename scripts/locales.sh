#!/usr/bin/env bash
# Re-extract user-facing strings and merge them into the zh and en catalogs.
# Then translate the new entries (tests/unit/test_locales.py fails until every one is).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin}
"$PY/pybabel" extract -F babel.cfg -k t -k N_ --no-location --sort-output \
  --project=zhucun --copyright-holder=Zhucun -o locales/messages.pot bot handlers services
for lang in zh en; do
  if [ -f "locales/$lang/LC_MESSAGES/messages.po" ]; then
    "$PY/pybabel" update --no-fuzzy-matching -i locales/messages.pot -d locales -D messages -l "$lang"
  else
    "$PY/pybabel" init -i locales/messages.pot -d locales -D messages -l "$lang"
  fi
done
"$PY/python" scripts/fill_en.py locales/en/LC_MESSAGES/messages.po
