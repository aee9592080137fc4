#!/usr/bin/env bash
# One command from a fresh clone: set up .venv (once), then run a task.
#
#   bash scripts/dev.sh benchmark [ARGS...]   # the benchmark (sknoisy benchmark ARGS)
#   bash scripts/dev.sh find-issues FILE --target COL [ARGS...]
#   bash scripts/dev.sh test [PYTEST ARGS...] # ruff, then the test suite
#   bash scripts/dev.sh docs                  # the documentation, gallery included
#   bash scripts/dev.sh setup                 # only the set-up
#
# The set-up creates .venv with python3 (PYTHON=... picks another
# interpreter), installs torch 2.14.1 / torchvision 0.29.1 first (a local
# wheel where the machine has one, so pip downloads no other build), then
# sknoisy in editable mode with the extras the task needs. It is skipped when
# .venv already holds those extras for this pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

task="${1:-}"
[ $# -gt 0 ] && shift
case "$task" in
    benchmark | find-issues) extras="benchmark" ;;
    test | docs | setup) extras="test,docs" ;;
    *)
        sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac

setup() {
    # one stamp per set of extras, holding the checksum of pyproject.toml
    local stamp=".venv/.sknoisy-setup-${extras/,/-}"
    local want
    want="$(cksum < pyproject.toml)"
    if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return
    fi
    [ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
    .venv/bin/python -m pip install --upgrade pip
    .venv/bin/python -m pip install "torch==2.14.1" "torchvision==0.29.1"
    .venv/bin/python -m pip install -e ".[$extras]"
    echo "$want" > "$stamp"
}

setup
export PATH="$PWD/.venv/bin:$PATH"
case "$task" in
    benchmark) exec sknoisy benchmark "$@" ;;
    find-issues) exec sknoisy find-issues "$@" ;;
    test)
        ruff check sknoisy tests examples benchmarks
        exec python -m pytest -n 2 "$@"
        ;;
    docs) OMP_NUM_THREADS=1 exec python -m sphinx -W -b html docs docs/_build/html ;;
    setup) ;;
esac
