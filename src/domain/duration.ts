/** Durations as people write them in settings (`0`, `500ms`, `90s`, `10m`) and read them in comments. */
import ms from 'ms';

/** Milliseconds of a duration written as text, or `undefined` when it is not one (negative included). */
export function parseDuration(value: string): number | undefined {
  const parsed = value.trim() === '0' ? 0 : ms(value as ms.StringValue);
  return typeof parsed === 'number' && Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}

/** `4.2 s` under a minute, `3 min 5 s` from there on: how comments and logs say how long something took. */
export function formatDuration(milliseconds: number): string {
  if (milliseconds < 60_000) return `${(milliseconds / 1000).toFixed(1)} s`;
  const minutes = Math.floor(milliseconds / 60_000);
  const seconds = Math.round((milliseconds % 60_000) / 1000);
  return `${minutes} min ${seconds} s`;
}
