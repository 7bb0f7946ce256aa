/**
 * @module Remote client: the Client interface across a MessagePort, for worker threads. The host
 * (`serveClient`) runs in the thread that owns the real client (the embedded broker's, or a Kafka
 * client) and serves one remote client per port; the worker calls `connectRemoteClient(port)`.
 *
 * `remoteClientTransport(client)` packages both halves for the stream processor's worker runner:
 * the runner calls `serve` in the main thread, and each worker imports `workerModule` and calls its
 * `workerExport` with its end of the port.
 */
import { type MessagePort } from 'node:worker_threads'
import { type Client } from '../types.ts'
import { type ClientHost, serveClient } from './host.ts'
import { connectRemoteClient } from './remote-client.ts'

export { type ClientHost, connectRemoteClient, serveClient }

export interface RemoteClientTransport {
  /** Main thread: serves the client to the worker at the other end of `port`. */
  serve(port: MessagePort): ClientHost
  /** Module (URL) a worker imports to connect; its `workerExport` takes the port and returns a Client. */
  readonly workerModule: string
  readonly workerExport: string
}

export function remoteClientTransport(client: Client): RemoteClientTransport {
  return {
    serve: (port) => serveClient(client, port),
    workerModule: new URL('./remote-client.ts', import.meta.url).href,
    workerExport: 'connectRemoteClient',
  }
}
