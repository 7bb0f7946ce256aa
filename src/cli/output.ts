/**
 * @module Terminal output: stdout writes that respect backpressure, aligned text tables, JSON.
 * Data goes to stdout; status lines and errors go to stderr.
 */

export interface Output {
  /** Writes to stdout; resolves once the stream can take more. */
  write(text: string): Promise<void>
  /** A status line on stderr. */
  status(line: string): void
}

export function processOutput(): Output {
  return {
    write(text: string): Promise<void> {
      if (text === '') return Promise.resolve()
      return new Promise((resolve, reject) => {
        const ok = process.stdout.write(text, (err) => {
          if (err !== null && err !== undefined) reject(err)
        })
        if (ok) resolve()
        else process.stdout.once('drain', resolve)
      })
    },
    status(line: string): void {
      process.stderr.write(`${line}\n`)
    },
  }
}

/** Columns separated by two spaces; numeric columns ('-' stands for a missing number) align right. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers.map(String), ...rows.map((r) => r.map(String))]
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)))
  const numeric = headers.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number' || r[c] === '-'))
  return (
    cells
      .map((r) =>
        r
          .map((cell, c) => (numeric[c] === true ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  )
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}
