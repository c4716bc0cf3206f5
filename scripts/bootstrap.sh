#!/usr/bin/env bash
# Make sure the virtual environment exists and holds this project, installing on first use
# and again whenever pyproject.toml changes. Sourced by ./zhucun and ./run-tests.
# ZHUCUN_VENV picks another place for it (CI uses a fresh one).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ZHUCUN_VENV:-$ROOT/.venv}"
EXTRAS="${1:-}"
STAMP="$VENV/.zhucun-installed"
WANT="$( (cat "$ROOT/pyproject.toml"; echo "extras=$EXTRAS") | cksum | cut -d' ' -f1)"

if [ ! -x "$VENV/bin/python" ]; then
  PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "zhucun: Python 3.11 or newer is needed (found $("$PYTHON" --version 2>&1))" >&2
    exit 2
  }
  echo "zhucun: setting up $VENV (first run only, a minute or two)..." >&2
  "$PYTHON" -m venv "$VENV"
fi
HAVE="$(cat "$STAMP" 2>/dev/null || true)"
case "$HAVE" in
  *"$WANT"*) ;;
  *)
    echo "zhucun: installing the project and its dependencies into $VENV..." >&2
    spec="$ROOT"
    [ -n "$EXTRAS" ] && spec="$ROOT[$EXTRAS]"
    log="$VENV/install.log"
    if ! { "$VENV/bin/python" -m pip install --disable-pip-version-check --upgrade pip &&
           "$VENV/bin/python" -m pip install --disable-pip-version-check -e "$spec"; } >"$log" 2>&1; then
      tail -n 20 "$log" >&2
      echo "zhucun: installing failed; the whole log is in $log" >&2
      exit 2
    fi
    # A run without extras must not undo the test extras, so both stamps are kept.
    echo "$HAVE $WANT" > "$STAMP"
    ;;
esac
# Compiled catalogs (.mo) are build output: made here, never committed.
for po in "$ROOT"/locales/*/LC_MESSAGES/messages.po; do
  mo="${po%.po}.mo"
  if [ ! -f "$mo" ] || [ "$po" -nt "$mo" ]; then
    "$VENV/bin/pybabel" -q compile -i "$po" -o "$mo"
  fi
done
export ZHUCUN_VENV="$VENV"
