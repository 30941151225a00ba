#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing (hack/setup.sh), checks
# that the generated code is current, lints, type-checks, then runs every test with vitest
# against a local control plane it starts and stops itself. Arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
hack/setup.sh
source hack/node.sh
acog_ensure_node

printf '\n==> generated code is current\n'
node hack/codegen/generate.ts --check
printf '\n==> lint and format\n'
npx eslint .
npx prettier --check . --log-level warn
printf '\n==> type check\n'
npx tsc -p .
printf '\n==> console: build and svelte-check\n'
(cd console && npx vite build --logLevel warn && npx svelte-check --tsconfig ./tsconfig.json --threshold error)
printf '\n==> tests\n'
status=0
npx vitest run --reporter=default --reporter=junit --outputFile.junit=test-results/junit.xml "$@" || status=$?
node -e '
  const xml = require("fs").readFileSync("test-results/junit.xml", "utf8");
  const m = /<testsuites[^>]*tests="(\d+)"[^>]*failures="(\d+)"[^>]*errors="(\d+)"/.exec(xml) || [];
  const skipped = (xml.match(/<skipped/g) || []).length;
  const [tests, failures, errors] = [Number(m[1]||0), Number(m[2]||0), Number(m[3]||0)];
  console.log(`\ntests: ${tests - failures - errors - skipped} passed, ${failures + errors} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit $status
