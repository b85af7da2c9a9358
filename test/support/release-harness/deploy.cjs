/**
 * The release harness's recording deploy command, standing in for `cdktf deploy <stack>`:
 *
 *   RELEASE_HARNESS_URL=http://127.0.0.1:<port> RELEASE_HARNESS_RECORDS=<dir> node deploy.cjs <stack>
 *
 * Reads `$PLATFORM_ENV_DIR/<env>.yaml` (the stack is `<env>-workloads`), copies it into the
 * records folder as `<NNN>-<stack>.yaml`, and asks the harness (in the test's process) to apply
 * it. Prints what the harness answers and exits with its code: 0 applied, 1 failed (nothing
 * applied). Plain CommonJS on Node's standard library: it runs without a build step.
 */
"use strict";
const { readFileSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");
const http = require("node:http");

function fail(message) {
  process.stderr.write(`╷\n│ Error: ${message}\n╵\n`);
  process.exit(1);
}

/** Copies the file as the next free `<NNN>-<stack>.yaml` (exclusive create: no two share a number). */
function record(directory, stack, text) {
  for (let seq = 1; ; seq += 1) {
    const path = join(directory, `${String(seq).padStart(3, "0")}-${stack}.yaml`);
    try {
      writeFileSync(path, text, { flag: "wx" });
      return seq;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
    }
  }
}

function post(url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: "POST", headers: { "content-type": "application/json" } },
      (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

async function main() {
  const stack = process.argv[process.argv.length - 1];
  const url = process.env.RELEASE_HARNESS_URL;
  const records = process.env.RELEASE_HARNESS_RECORDS;
  if (process.argv.length < 3) fail("usage: deploy.cjs <stack>");
  if (!url || !records) fail("RELEASE_HARNESS_URL and RELEASE_HARNESS_RECORDS must be set");
  const match = /^(.+)-workloads$/.exec(stack);
  if (!match) fail(`stack ${stack} not found (the harness plays <env>-workloads stacks only)`);
  const file = join(process.env.PLATFORM_ENV_DIR || "environments", `${match[1]}.yaml`);
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    fail(`reading ${file}: ${error.message}`);
  }
  const seq = record(records, stack, text);
  let answer;
  try {
    answer = await post(`${url.replace(/\/$/, "")}/deploy`, { seq, stack, file: text });
  } catch (error) {
    fail(`release harness at ${url} unreachable: ${error.message}`);
  }
  process.stdout.write(answer.stdout);
  process.stderr.write(answer.stderr);
  process.exitCode = answer.exitCode;
}

main();
