/** \`switchyard_deliveries\`: the webhook deliveries taken, so that a redelivery is taken once. */
import type { Queryable } from './db.ts';

export class DeliveryStore {
  private readonly db: Queryable;

  constructor(db: Queryable) {
    this.db = db;
  }

  /** Records a webhook delivery id; `false` when it was seen before (a redelivery). */
  async record(id: string, event: string): Promise<boolean> {
    const rows = await this.db.query(
      'insert into switchyard_deliveries (id, event) values ($1, $2) on conflict do nothing returning id',
      [id, event],
    );
    return rows.length === 1;
  }

  async forget(id: string): Promise<void> {
    await this.db.query('delete from switchyard_deliveries where id = $1', [id]);
  }
}
