// The ajv peer of `cargo xtask bench`: ajv 8 (2020-12, allErrors) with ajv-formats validates
// every line of an NDJSON walk against the exported schema, reading line by line as we do.
// Usage (run in .cache/conformance/node): node ajv-ndjson.mjs SCHEMA.json WALK.ndjson
import { createReadStream, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { createRequire } from "node:module";

const require = createRequire(process.cwd() + "/");
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats").default;

const [schemaPath, walkPath] = process.argv.slice(2);
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));

let pages = 0, sessions = 0, invalid = 0;
const lines = createInterface({ input: createReadStream(walkPath), crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  const page = JSON.parse(line);
  pages += 1;
  sessions += Array.isArray(page.results) ? page.results.length : 0;
  if (!validate(page)) invalid += 1;
}
console.log(`${pages} pages, ${sessions} sessions, ${invalid} invalid`);
process.exit(invalid === 0 ? 0 : 1);
