// ajv's verdict on each payload, as a second opinion on ours.
// Usage: node ajv-verdicts.mjs SCHEMA.json PAYLOADS.ndjson
// Each input line: {"name": "...", "body_base64": "<the raw body bytes, base64>"}.
// Each output line: {"name": "...", "valid": true|false, "errors": ["<pointer> <message>", ...]}.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.cwd() + "/");
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats").default;

const [schemaPath, payloadPath] = process.argv.slice(2);
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));

const out = [];
for (const line of readFileSync(payloadPath, "utf8").split("\n")) {
  if (!line.trim()) continue;
  const { name, body_base64 } = JSON.parse(line);
  let value;
  try {
    const body = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(body_base64, "base64"));
    value = JSON.parse(body);
  } catch (e) {
    out.push(JSON.stringify({ name, valid: false, errors: ["(body) not UTF-8 JSON: " + e.message] }));
    continue;
  }
  const valid = validate(value);
  const errors = valid ? [] : validate.errors.map((e) => `${e.instancePath || "/"} ${e.message}`);
  out.push(JSON.stringify({ name, valid, errors }));
}
process.stdout.write(out.join("\n") + "\n");
