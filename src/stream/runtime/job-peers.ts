/**
 * @module The other instances of one job (Kafka Streams' stream threads): every instance runs the
 * whole pipeline as a member of the job's consumer groups and runs the tasks of the partitions
 * assigned to it. Instances tell each other which tasks finished, so a bounded job ends once every
 * task finished in one of them; tasks of in-memory sources are dealt out by index.
 */

export interface JobPeers {
  /** Instances of the job; each is a member of every consumer group the job uses. */
  readonly members: number
  /** This instance's number, 0 .. members - 1. */
  readonly index: number
  /** Tells the other instances that a task of this one finished. */
  finished(stage: number, task: number): void
  /** Registers the handler for tasks the other instances finished. */
  onFinished(handler: (stage: number, task: number) => void): void
}
