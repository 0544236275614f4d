#!/usr/bin/env node
// Plain JavaScript on purpose: it runs on any Node.js and says what is wrong before the
// TypeScript entry, which needs Node.js 24 (type stripping, and the engines in package.json), is loaded.
/* global process, console */
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `Switchyard needs Node.js 24 or newer, and this is Node.js ${process.version}.\nInstall it (for example \`npm install -g node@24\`, or with nvm: \`nvm install 24\`; .nvmrc says 24) and run again.`,
  );
  process.exit(1);
}
await import('../src/cli/index.ts');
