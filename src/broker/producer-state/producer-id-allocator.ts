/**
 * @module Producer ids, never handed out twice, not even across restarts: ids come from blocks
 * whose end is recorded durably (an atomically replaced file) before the first id of the block is
 * used, so a restart continues after the last recorded block, leaving a gap at most.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { writeFileAtomically } from '../metadata-store.ts'

export const PRODUCER_IDS_FILE = 'producer-ids.json'
const BLOCK_SIZE = 1000

export class ProducerIdAllocator {
  readonly #dir: string
  #next: number
  #blockEnd: number
  #tail: Promise<unknown> = Promise.resolve()

  private constructor(dir: string, next: number) {
    this.#dir = dir
    this.#next = next
    this.#blockEnd = next
  }

  static async open(dataDir: string): Promise<ProducerIdAllocator> {
    const file = path.join(dataDir, PRODUCER_IDS_FILE)
    let next = 0
    try {
      const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as { next?: unknown }
      if (!Number.isSafeInteger(parsed.next) || (parsed.next as number) < 0) throw new Error('no valid "next"')
      next = parsed.next as number
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new TributaryError(ErrorCode.STORAGE_ERROR, `${file} is damaged (${(e as Error).message}); refusing to risk reusing producer ids`, { cause: e })
      }
    }
    return new ProducerIdAllocator(dataDir, next)
  }

  /** The next producer id; reserves a new block on disk when the current one is used up. */
  allocate(): Promise<number> {
    const run = this.#tail.then(async () => {
      if (this.#next >= this.#blockEnd) {
        const end = this.#next + BLOCK_SIZE
        await writeFileAtomically(this.#dir, PRODUCER_IDS_FILE, JSON.stringify({ next: end }))
        this.#blockEnd = end
      }
      return this.#next++
    })
    this.#tail = run.catch(() => undefined)
    return run
  }
}
