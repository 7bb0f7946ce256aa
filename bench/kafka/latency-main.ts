/**
 * @module One latency run in a process of its own, printing its LatencyResult as JSON. bench:kafka
 * starts one per run so that no run measures through a heap (and GC) left by the throughput runs
 * or by another system's client in the same process.
 *
 *   node bench/kafka/latency-main.ts SYSTEM RATE SECONDS RECORD_BYTES [BOOTSTRAP BROKER_PID]
 *   SYSTEM: tributary | kcat | redis | nats
 */
import { type LatencyResult, latencyKcat, latencyNats, latencyRedis, latencyTributary } from './latency.ts'

const [system, rateText, secondsText, bytesText, bootstrap, brokerPidText] = process.argv.slice(2)
const rate = Number(rateText)
const seconds = Number(secondsText)
const recordBytes = Number(bytesText)
const target = { bootstrap: bootstrap ?? '', brokerPid: Number(brokerPidText) }
let result: LatencyResult
switch (system) {
  case 'tributary':
    result = await latencyTributary(target, rate, seconds, recordBytes)
    break
  case 'kcat':
    result = await latencyKcat(target, rate, seconds, recordBytes)
    break
  case 'redis':
    result = await latencyRedis(rate, seconds, recordBytes)
    break
  case 'nats':
    result = await latencyNats(rate, seconds, recordBytes)
    break
  default:
    throw new Error(`latency-main: unknown system ${String(system)}`)
}
process.stdout.write(`${JSON.stringify(result)}\n`)
// A client library may leave a timer or socket behind; the run is over.
process.exit(0)
