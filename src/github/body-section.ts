/**
 * Sections Switchyard keeps in a pull request's body (its mergeability, its failing checks):
 * each between two hidden markers, replaced in place, or added at the end the first time.
 */

const markers = (name: string) => ({ start: `<!-- switchyard:${name} -->`, end: `<!-- /switchyard:${name} -->` });

/** Whether `body` holds the section `name` yet. */
export function hasSection(body: string, name: string): boolean {
  const { start, end } = markers(name);
  return body.includes(start) && body.indexOf(end) > body.indexOf(start);
}

/** `body` with the section `name` (a heading and its lines) put in, or replaced where it was. */
export function withSection(body: string, name: string, heading: string, lines: readonly string[]): string {
  const { start, end } = markers(name);
  const section = [start, `### ${heading}`, '', ...lines, end].join('\n');
  const from = body.indexOf(start);
  const to = body.indexOf(end);
  if (from !== -1 && to > from) return body.slice(0, from) + section + body.slice(to + end.length);
  return `${body.trimEnd()}\n\n${section}\n`;
}
