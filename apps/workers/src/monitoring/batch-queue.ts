/** Items added together: processed in the same call, with one result each. */
interface Entry<Item, Result> {
  items: Item[];
  resolve: (results: Result[]) => void;
  reject: (error: unknown) => void;
}

export interface BatchQueueOptions {
  /** Most items handed to one `process` call (bar a larger group added with `addAll`, handed alone). */
  maxBatchSize: number;
  /** Most `process` calls running at once. */
  maxConcurrent: number;
}

/**
 * Collects items added one at a time (one per RabbitMQ delivery), or a group at a time (the readings
 * of one batch message: never split), into batches for one `process` call each, and resolves every
 * item's promise with its own result (or rejects all of a failed batch).
 *
 * Batches form by themselves, without a timer: a batch starts as soon as a slot is free, taking what
 * has arrived until then (after the current burst of deliveries, at most `maxBatchSize`). Under light
 * load each reading is processed at once; under heavy load items pile up while a batch runs and the
 * next batch is large. So latency stays low and throughput grows with load.
 */
export class BatchQueue<Item, Result> {
  private readonly waiting: Entry<Item, Result>[] = [];
  private running = 0;
  private drainScheduled = false;

  constructor(
    private readonly process: (items: Item[]) => Promise<Result[]>,
    private readonly options: BatchQueueOptions,
  ) {}

  async add(item: Item): Promise<Result> {
    const [result] = await this.addAll([item]);
    return result!;
  }

  /** Adds items that must be processed in the same call; resolves with their results, in order. */
  addAll(items: Item[]): Promise<Result[]> {
    return new Promise<Result[]>((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      this.scheduleDrain();
    });
  }

  // Deferred to the next macrotask so that a burst of deliveries parsed from one socket read joins one
  // batch instead of the first delivery being sent alone.
  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.running < this.options.maxConcurrent && this.waiting.length > 0) {
      let groups = 1;
      let size = this.waiting[0]!.items.length;
      while (groups < this.waiting.length && size + this.waiting[groups]!.items.length <= this.options.maxBatchSize) {
        size += this.waiting[groups]!.items.length;
        groups++;
      }
      const batch = this.waiting.splice(0, groups);
      this.running++;
      void this.run(batch);
    }
  }

  private async run(batch: Entry<Item, Result>[]): Promise<void> {
    try {
      const items = batch.flatMap((entry) => entry.items);
      const results = await this.process(items);
      if (results.length !== items.length) throw new Error(`batch of ${items.length} produced ${results.length} results`);
      let offset = 0;
      for (const entry of batch) {
        entry.resolve(results.slice(offset, offset + entry.items.length));
        offset += entry.items.length;
      }
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      this.running--;
      this.drain();
    }
  }
}
