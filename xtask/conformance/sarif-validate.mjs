// Validates SARIF logs against the SARIF 2.1.0 JSON Schema that the pinned
// @microsoft/sarif-multitool ships (sarif-2.1.0.json, a 2020-12 schema).
// Usage: node sarif-validate.mjs SCHEMA.json FILE.sarif...
// Output: one line per file, {"file": "...", "valid": true|false, "errors": ["<pointer> <message>", ...]}.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.cwd() + "/");
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats").default;

const [schemaPath, ...files] = process.argv.slice(2);
// strict: false because the schema uses annotation keywords ajv does not know.
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));
for (const file of files) {
  const valid = validate(JSON.parse(readFileSync(file, "utf8")));
  const errors = valid ? [] : validate.errors.slice(0, 20).map((e) => `${e.instancePath || "/"} ${e.message}`);
  process.stdout.write(JSON.stringify({ file, valid, errors }) + "\n");
}
