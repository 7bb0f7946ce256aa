#!/usr/bin/env -S node --min-semi-space-size=16 --max-semi-space-size=16
// Launcher: the CLI is TypeScript run directly by Node's type stripping (Node >= 24).
// A young generation of fixed size, 16 MB (V8 flags can only be set at start, hence the shebang):
// the larger minimum halves the broker's scavenges and all but removes its old-generation
// collections under a steady load (request objects waiting for an fsync are no longer promoted);
// the maximum keeps V8 from growing it to 64 MB after a burst of throughput, after which each
// scavenge took several times longer and p99 produce-to-consume latency doubled.
import '../src/cli/main.ts'
