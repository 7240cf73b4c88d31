#!/usr/bin/env bash
# Run tox envs the way CI does: `bash ci/run-tests.sh [ENVS] [-- ARGS]`.
#
# ENVS is a comma-separated tox env list (default: the envs of `make test`,
# lint,core,docs), so that a CI matrix can run one env per job:
# `bash ci/run-tests.sh core`. ARGS go to the test runner ({posargs}).
# Installs tox and tox-uv when missing, and Debian's chromium and
# chromium-driver when an env needs a browser.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

envs="${1:-lint,core,docs}"
shift || true
python="${PYTHON:-python3}"

"$python" ci/install-tools.py

# The envs that drive a real browser (docs: its render test); integration
# envs join as they come.
case ",$envs," in
    *,core,* | *-core,* | *,demo,* | *,demo-* | *,browser,* | *-browser,* | *,consumers* | *,docs,* \
    | *,pytest,* | *-pytest,* | *,asgi,* | *-asgi,* | *,coverage,*)
        bash ci/install-browser.sh ;;
esac
# The grid env (Selenium Grid server, Java) and the plone env (a Node
# client of the serve command) need ci/install-grid.sh too.
case ",$envs," in
    *,grid,* | *,plone,* | *-plone,* | *,plone-* | *-plone-*)
        bash ci/install-browser.sh
        bash ci/install-grid.sh ;;
esac

# Through ci/pythons.py, which finds CPython 3.11 to 3.13 for the py3XX envs.
exec "$python" ci/pythons.py "$python" -m tox run -e "$envs" "$@"
