// Validates an AsyncAPI document with the AsyncAPI project's own parser
// (@asyncapi/parser, installed by tests/run into ~/.cache/hrms/npm; its
// node_modules come in by NODE_PATH). Prints every diagnostic; exits 1 when
// the document does not parse or any diagnostic is an error or a warning.
//
//   NODE_PATH=~/.cache/hrms/npm/node_modules node validate.cjs asyncapi.json
'use strict';

const fs = require('node:fs');
const { Parser, DiagnosticSeverity } = require('@asyncapi/parser');

async function main() {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: validate.cjs <asyncapi.json>');
    return 2;
  }
  const text = fs.readFileSync(file, 'utf8');
  const { document, diagnostics } = await new Parser().parse(text, { source: file });
  const names = ['error', 'warning', 'information', 'hint'];
  let failing = 0;
  for (const d of diagnostics) {
    const severity = names[d.severity] ?? String(d.severity);
    if (d.severity === DiagnosticSeverity.Error || d.severity === DiagnosticSeverity.Warning) {
      failing += 1;
    }
    console.log(`${severity} ${d.code}: ${d.message} at ${(d.path || []).join('.')}`);
  }
  if (!document) {
    console.log('the document does not parse');
    return 1;
  }
  const channels = document.channels().length;
  const messages = document.components().messages().length;
  console.log(`parsed AsyncAPI ${document.version()}: ${channels} channels, ${messages} messages, ` +
    `${diagnostics.length} diagnostics, ${failing} errors or warnings`);
  return failing === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(1);
});
