import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ReadBufferPool } from './read-buffer-pool.ts'

test('a buffer is reused only after its lease is released', () => {
  const pool = new ReadBufferPool({ minBufferBytes: 1024 })
  const a = pool.lease()
  const first = a.take(100)
  first.fill(1)
  const b = pool.lease()
  const second = b.take(100)
  assert.notEqual(second.buffer, first.buffer, 'a buffer in use is never handed out twice')
  assert.equal(first.length, 100)
  a.release()
  assert.equal(pool.pooledBytes, 1024)
  const c = pool.lease()
  assert.equal(c.take(500).buffer, first.buffer, 'the released buffer serves the next read')
  assert.equal(pool.pooledBytes, 0)
})

test('a read picks the smallest free buffer that fits and sizes new ones in powers of two', () => {
  const pool = new ReadBufferPool({ minBufferBytes: 1024 })
  const l = pool.lease()
  const small = l.take(1000)
  const big = l.take(5000)
  assert.equal(small.buffer.byteLength, 1024)
  assert.equal(big.buffer.byteLength, 8192)
  l.release()
  const m = pool.lease()
  assert.equal(m.take(900).buffer, small.buffer)
  assert.equal(m.take(900).buffer, big.buffer, 'the only free one left fits')
  assert.equal(m.take(900).buffer.byteLength, 1024, 'none free: a new one')
})

test('the pool keeps at most maxPooledBytes and never pools oversized buffers', () => {
  const pool = new ReadBufferPool({ minBufferBytes: 1024, maxBufferBytes: 4096, maxPooledBytes: 2048 })
  const l = pool.lease()
  const huge = l.take(10_000)
  assert.equal(huge.length, 10_000)
  l.take(1000)
  l.take(1000)
  l.take(1000)
  l.release()
  assert.equal(pool.pooledBytes, 2048, 'two 1 KiB buffers kept, the third and the oversized one dropped')
})

test('releasing twice gives nothing back twice', () => {
  const pool = new ReadBufferPool({ minBufferBytes: 1024 })
  const l = pool.lease()
  l.take(10)
  l.release()
  l.release()
  assert.equal(pool.pooledBytes, 1024)
})
