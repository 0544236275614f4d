/** HTML text: every piece of text from GitHub or an agent goes through here before a page shows it. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
