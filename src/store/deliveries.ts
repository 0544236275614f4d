/** `switchyard_deliveries`: the webhook deliveries taken, so that a redelivery is taken once. */
import DataLoader from 'dataloader';
import type { Queryable } from './db.ts';

export class DeliveryStore {
  private readonly db: Queryable;
  // The deliveries of a burst that arrive together are recorded by one statement: on PGlite each
  // statement holds the process's one thread, and a webhook is answered only once it is recorded.
  readonly #recorder = new DataLoader<{ id: string; event: string }, boolean>(
    async (deliveries) => {
      const fresh = await this.recordAll(deliveries);
      const claimed = new Set<string>();
      // The same id twice in one batch (a redelivery racing its original): the first one takes it.
      return deliveries.map(({ id }) => {
        if (!fresh.has(id) || claimed.has(id)) return false;
        claimed.add(id);
        return true;
      });
    },
    { cache: false, batchScheduleFn: (dispatch) => setImmediate(dispatch), maxBatchSize: 200 },
  );

  constructor(db: Queryable) {
    this.db = db;
  }

  /** Records a webhook delivery id; `false` when it was seen before (a redelivery). */
  async record(id: string, event: string): Promise<boolean> {
    return this.#recorder.load({ id, event });
  }

  /** Records deliveries in one statement; returns the ids that were new. */
  async recordAll(deliveries: ReadonlyArray<{ id: string; event: string }>): Promise<Set<string>> {
    const rows = await this.db.query<{ id: string }>(
      `insert into switchyard_deliveries (id, event)
       select * from unnest($1::text[], $2::text[]) on conflict do nothing returning id`,
      [deliveries.map((d) => d.id), deliveries.map((d) => d.event)],
    );
    return new Set(rows.map((row) => row.id));
  }

  async forget(id: string): Promise<void> {
    await this.db.query('delete from switchyard_deliveries where id = $1', [id]);
  }
}
