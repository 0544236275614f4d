/**
 * Issue and comment text is untrusted input to an agent. Before it reaches a prompt, hidden
 * HTML comments (invisible on GitHub, visible to a model) and invisible or bidirectional-control
 * characters (which can hide instructions from a reviewer) are removed.
 */

const HTML_COMMENT = /<!--[\s\S]*?(?:-->|$)/g;
// Zero-width and formatting characters, bidi embeddings/overrides/isolates, tag characters, BOM.
const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\u{E0000}-\u{E007F}]/gu;

export function stripHidden(text: string): string {
  return text.replace(HTML_COMMENT, '').replace(INVISIBLE, '');
}

/** Text without invisible and bidirectional-control characters: for titles, where a comment is text. */
export function stripInvisible(text: string): string {
  return text.replace(INVISIBLE, '');
}

/**
 * An agent's summary is output that issue text may have steered: its @mentions are defused
 * (as Renovate does) so that it cannot ping people.
 */
export function defuseMentions(text: string): string {
  return text.replace(/(^|[^\w`])@(?=[A-Za-z0-9])/g, '$1@&#8203;');
}
