/** Free space where Switchyard keeps mirrors and worktrees: a run does not start without enough. */
import { statfs } from 'node:fs/promises';

export interface DiskRoom {
  freeBytes: number;
  neededBytes: number;
  enough: boolean;
  /** `812 MiB free in /data, 1024 MiB needed` */
  sentence: string;
}

/** How much room `dir` has against `neededBytes`; a folder that cannot be read counts as full. */
export async function diskRoom(dir: string, neededBytes: number): Promise<DiskRoom> {
  const stats = await statfs(dir).catch(() => undefined);
  const freeBytes = stats ? stats.bavail * stats.bsize : 0;
  const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
  return {
    freeBytes,
    neededBytes,
    enough: freeBytes >= neededBytes,
    sentence: `${mib(freeBytes)} MiB free in ${dir}, ${mib(neededBytes)} MiB needed`,
  };
}
