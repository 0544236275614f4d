/** Branch names for runs: `agent/<issue>-<slug>`, valid git refs for any issue title. */

const MAX_SLUG = 40;

/**
 * A short lowercase ASCII slug of a title: accents folded, everything that is not a letter or
 * digit turned into single dashes, cut at a word boundary. Never empty, never a git-ref hazard
 * (no `..`, `@{`, trailing `.lock`, control or shell characters).
 */
export function slugify(title: string, max = MAX_SLUG): string {
  const ascii = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  let slug = ascii;
  if (slug.length > max) {
    const cut = slug.slice(0, max + 1);
    const lastDash = cut.lastIndexOf('-');
    slug = (lastDash >= max / 2 ? cut.slice(0, lastDash) : slug.slice(0, max)).replace(/-+$/g, '');
  }
  return slug || 'issue';
}

export function runBranch(issueNumber: number, title: string): string {
  return `agent/${issueNumber}-${slugify(title)}`;
}
