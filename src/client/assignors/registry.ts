/** @module Lookup of the built-in assignors by their protocol name. */
import { type AssignorName } from '../types.ts'
import { type Assignor } from './assignor.ts'
import { cooperativeStickyAssignor } from './cooperative-sticky.ts'
import { rangeAssignor } from './range.ts'
import { roundRobinAssignor } from './roundrobin.ts'

const byName: Record<AssignorName, Assignor> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  'cooperative-sticky': cooperativeStickyAssignor,
}

export function assignorByName(name: string): Assignor | undefined {
  return Object.hasOwn(byName, name) ? byName[name as AssignorName] : undefined
}
