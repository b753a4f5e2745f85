interface Entry<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

export interface BatchQueueOptions {
  /** Most items handed to one `process` call. */
  maxBatchSize: number;
  /** Most `process` calls running at once. */
  maxConcurrent: number;
}

/**
 * Collects items added one at a time (one per RabbitMQ delivery) into batches for one `process` call
 * each, and resolves every item's promise with its own result (or rejects all of a failed batch).
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

  add(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
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
      const batch = this.waiting.splice(0, this.options.maxBatchSize);
      this.running++;
      void this.run(batch);
    }
  }

  private async run(batch: Entry<Item, Result>[]): Promise<void> {
    try {
      const results = await this.process(batch.map((entry) => entry.item));
      if (results.length !== batch.length) throw new Error(`batch of ${batch.length} produced ${results.length} results`);
      batch.forEach((entry, i) => entry.resolve(results[i]!));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      this.running--;
      this.drain();
    }
  }
}
