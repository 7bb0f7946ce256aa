#!/usr/bin/env node
// Launcher: the CLI is TypeScript run directly by Node's type stripping (Node >= 24).
import '../src/cli/main.ts'
