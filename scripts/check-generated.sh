#!/usr/bin/env bash
# CI: the committed protocol codecs must be exactly what the generator makes from Kafka's specs
# (../shared/kafka-protocol beside the clone). Not part of `npm test`: users do not have the specs.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run generate && git diff --exit-code -- src/protocol/messages
# A generated file that is not committed at all does not show in `git diff`.
test -z "$(git status --porcelain --untracked-files=all -- src/protocol/messages/generated)"
