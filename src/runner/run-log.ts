/**
 * A run's full output on disk: redacted as it is written, line by line (so a token split across
 * two chunks is still caught), and capped — past the cap the oldest part is dropped first.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Redactor } from '../log/redact.ts';

export const DEFAULT_LOG_CAP_BYTES = 4 * 1024 * 1024;

export class RunLog {
  readonly path: string;
  readonly #redactor: Redactor;
  readonly #cap: number;
  #pending = '';
  #size = 0;

  readonly #onText: ((text: string) => void) | undefined;

  /** `onText` gets every piece of the log as written, redacted: the dashboard's copy. */
  constructor(path: string, redactor: Redactor, capBytes = DEFAULT_LOG_CAP_BYTES, onText?: (text: string) => void) {
    this.path = path;
    this.#redactor = redactor;
    this.#cap = capBytes;
    this.#onText = onText;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '');
  }

  write(text: string): void {
    this.#pending += text;
    const end = this.#pending.lastIndexOf('\n');
    if (end === -1) {
      // A line without end that grows past a limit is written anyway, so memory stays bounded.
      if (this.#pending.length > 64 * 1024) {
        this.#flush(this.#pending);
        this.#pending = '';
      }
      return;
    }
    this.#flush(this.#pending.slice(0, end + 1));
    this.#pending = this.#pending.slice(end + 1);
  }

  /** Writes a line of Switchyard's own (a section header, a check's command). */
  note(line: string): void {
    this.write(`${this.#pending ? '\n' : ''}--- ${line}\n`);
  }

  close(): void {
    if (this.#pending) this.#flush(`${this.#pending}\n`);
    this.#pending = '';
  }

  #flush(text: string): void {
    const clean = this.#redactor.redact(text);
    appendFileSync(this.path, clean);
    this.#onText?.(clean);
    this.#size += Buffer.byteLength(clean);
    if (this.#size > this.#cap) {
      const kept = readFileSync(this.path).subarray(-Math.floor(this.#cap / 2));
      const start = kept.indexOf(10) + 1;
      const marker = Buffer.from('[… earlier output dropped: the log is capped …]\n');
      writeFileSync(this.path, Buffer.concat([marker, kept.subarray(start)]));
      this.#size = marker.length + kept.length - start;
    }
  }
}
