/** The demo's sample repository and issues: a small project, and issues whose bodies carry diffs. */

export interface SampleIssue {
  title: string;
  body: string;
}

/** A small TypeScript project: one module per yard track, plus a README and package.json. */
export function sampleFiles(tracks = 24): Record<string, string> {
  const files: Record<string, string> = {
    'README.md': '# railway-yard\n\nA sample project for the Switchyard demo.\n',
    'package.json': JSON.stringify({ name: 'railway-yard', version: '1.0.0', type: 'module' }, null, 2) + '\n',
  };
  for (let i = 1; i <= tracks; i++) {
    files[`src/tracks/track-${i}.ts`] = [
      `/** Track ${i} of the yard. */`,
      `export const track${i} = {`,
      `  id: ${i},`,
      `  length: ${100 + i * 7},`,
      `  electrified: ${i % 2 === 0},`,
      '};',
      '',
    ].join('\n');
  }
  return files;
}

function fenced(diff: string): string {
  return `\`\`\`diff\n${diff}\`\`\`\n`;
}

/** A unified diff that creates a new file. */
export function newFile(path: string, lines: string[]): string {
  return [
    `diff --git a/${path} b/${path}`,
    'new file mode 100644',
    '--- /dev/null',
    `+++ b/${path}`,
    `@@ -0,0 +1,${lines.length} @@`,
    ...lines.map((l) => `+${l}`),
    '',
  ].join('\n');
}

function changeTrackLength(track: number, length: number): string {
  const path = `src/tracks/track-${track}.ts`;
  return [
    `diff --git a/${path} b/${path}`,
    `--- a/${path}`,
    `+++ b/${path}`,
    '@@ -2,5 +2,5 @@',
    ` export const track${track} = {`,
    `   id: ${track},`,
    `-  length: ${100 + track * 7},`,
    `+  length: ${length},`,
    `   electrified: ${track % 2 === 0},`,
    ' };',
    '',
  ].join('\n');
}

/** Issues whose bodies carry a unified diff each, touching different files so they run in parallel. */
export function sampleIssues(count = 5): SampleIssue[] {
  const issues: SampleIssue[] = [];
  for (let i = 1; i <= count; i++) {
    if (i % 2 === 1) {
      issues.push({
        title: `Document signal box ${i}`,
        body: `Signal box ${i} has no documentation yet. Add a page for it.\n\n${fenced(newFile(`docs/signal-box-${i}.md`, [`# Signal box ${i}`, '', `Controls tracks ${i} and ${i + 1}.`]))}`,
      });
    } else {
      issues.push({
        title: `Extend track ${i} to ${300 + i} m`,
        body: `Track ${i} was extended last week; the model still has the old length.\n\n${fenced(changeTrackLength(i, 300 + i))}`,
      });
    }
  }
  return issues;
}
