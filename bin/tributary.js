#!/usr/bin/env -S node --min-semi-space-size=16
// Launcher: the CLI is TypeScript run directly by Node's type stripping (Node >= 24).
// The larger young generation (V8 flags can only be set at start, hence the shebang) halves the
// broker's scavenges and all but removes its old-generation collections under a steady produce and
// fetch load: request objects that wait for an fsync no longer live long enough to be promoted.
import '../src/cli/main.ts'
