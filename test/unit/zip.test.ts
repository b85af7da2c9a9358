/**
 * constructs/private/zip.ts against a real ZIP reader (yauzl, the one extract-zip and so cdktf's
 * CLI use) and the system's `unzip` when present: the archive a Lambda function's code ships in.
 */
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, zip, zipFolder } from "../../constructs/private/zip";
import { ALARM_FORWARDER_CODE_DIRECTORY } from "../../constructs/alarm-forwarder";

// yauzl has no types of its own here
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yauzl = require("yauzl") as {
  fromBuffer(
    buffer: Buffer,
    options: { lazyEntries: boolean },
    callback: (error: Error | null, zipfile: any) => void,
  ): void;
};

interface ReadEntry {
  name: string;
  data: string;
  mode: number;
  date: string;
}

/** Every entry of an archive as yauzl reads it (it checks each CRC-32 and size while reading). */
function unzip(archive: Buffer): Promise<ReadEntry[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(archive, { lazyEntries: true }, (error, file) => {
      if (error) return reject(error);
      const entries: ReadEntry[] = [];
      file.on("error", reject);
      file.on("end", () => resolve(entries));
      file.on("entry", (entry: any) => {
        file.openReadStream(entry, (streamError: Error | null, stream: any) => {
          if (streamError) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on("data", (chunk: Buffer) => chunks.push(chunk));
          stream.on("error", reject);
          stream.on("end", () => {
            const d = entry.getLastModDate() as Date;
            entries.push({
              name: entry.fileName,
              data: Buffer.concat(chunks).toString("utf8"),
              mode: (entry.externalFileAttributes >>> 16) & 0o177777,
              date: `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`,
            });
            file.readEntry();
          });
        });
      });
      file.readEntry();
    });
  });
}

test("crc32 is the ZIP checksum (the check value of CRC-32/ISO-HDLC)", () => {
  expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  expect(crc32(Buffer.alloc(0))).toBe(0);
});

test("a real reader reads every entry back, sorted by name, as regular 0644 files of 1980-01-01", async () => {
  const archive = zip([
    { name: "b.txt", data: Buffer.from("second\n") },
    { name: "index.cjs", data: Buffer.from("exports.handler = async () => 'ok';\n".repeat(50)) },
    { name: "a é.txt", data: Buffer.from("") },
  ]);
  expect(await unzip(archive)).toEqual([
    { name: "a é.txt", data: "", mode: 0o100644, date: "1980-1-1" },
    { name: "b.txt", data: "second\n", mode: 0o100644, date: "1980-1-1" },
    {
      name: "index.cjs",
      data: "exports.handler = async () => 'ok';\n".repeat(50),
      mode: 0o100644,
      date: "1980-1-1",
    },
  ]);
});

test("the same files give the same bytes, whatever their order or modification times", () => {
  const dir = mkdtempSync(join(tmpdir(), "zip-"));
  writeFileSync(join(dir, "index.cjs"), "exports.handler = async () => 1;\n");
  writeFileSync(join(dir, "lib.cjs"), "module.exports = 2;\n");
  const first = zipFolder(dir, "same");
  utimesSync(join(dir, "index.cjs"), new Date(2001, 1, 1), new Date(2001, 1, 1));
  const second = zipFolder(dir, "same");
  expect(second).toEqual(first);
  // Lambda's CodeSha256 (source_code_hash): base64 SHA-256 of the package
  expect(first.sha256Base64).toBe(
    createHash("sha256").update(readFileSync(first.path)).digest("base64"),
  );
  writeFileSync(join(dir, "lib.cjs"), "module.exports = 3;\n");
  expect(zipFolder(dir, "same").sha256Base64).not.toBe(first.sha256Base64);
});

test("the alarm forwarder's package holds exactly its handler, and the system's unzip agrees", async () => {
  const built = zipFolder(ALARM_FORWARDER_CODE_DIRECTORY, "alarm-forwarder");
  const entries = await unzip(readFileSync(built.path));
  expect(entries.map((e) => e.name)).toEqual(["index.cjs"]);
  expect(entries[0].data).toBe(
    readFileSync(join(ALARM_FORWARDER_CODE_DIRECTORY, "index.cjs"), "utf8"),
  );
  const system = spawnSync("unzip", ["-tq", built.path], { encoding: "utf8" });
  if (system.error) return; // no unzip on this machine: yauzl above is the reader
  expect(system.stdout).toContain("No errors detected");
});
