import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { crc32, readZipEntry } from "../support/helm";

/** A one-file zip; `size` and `crc` override what the central directory records. */
function zipOf(
  name: string,
  content: Buffer,
  method: 0 | 8,
  edit: { size?: number; crc?: number } = {},
) {
  const data = method === 8 ? deflateRawSync(content) : content;
  const nameBytes = Buffer.from(name);
  const crc = edit.crc ?? crc32(content);
  const size = edit.size ?? content.length;
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 6); // sizes in a data descriptor: the local header has zeros
  local.writeUInt16LE(method, 8);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 8);
  central.writeUInt16LE(method, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(size, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  const centralOffset = local.length + nameBytes.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, nameBytes, data, central, nameBytes, end]);
}

describe("readZipEntry (the Helm extraction of test/support/helm.ts)", () => {
  let dir: string;
  const content = Buffer.from("#!/bin/sh\necho helm\n".repeat(50));
  const write = (zip: Buffer) => {
    const file = join(dir, "test.zip");
    writeFileSync(file, zip);
    return file;
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "helm-zip-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("crc32 is CRC-32/IEEE", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });

  test.each([0, 8] as const)("extracts a file stored with method %d", (method) => {
    expect(readZipEntry(write(zipOf("helm/helm", content, method)), "helm/helm")).toEqual(content);
  });

  test("fails on a missing entry, naming it", () => {
    const zip = write(zipOf("helm/helm", content, 8));
    expect(() => readZipEntry(zip, "kubectl/kubectl")).toThrow(`${zip}: has no kubectl/kubectl`);
  });

  test("fails when the size differs from the central directory", () => {
    const zip = write(zipOf("helm/helm", content, 8, { size: content.length + 1 }));
    expect(() => readZipEntry(zip, "helm/helm")).toThrow(
      `${zip}: helm/helm extracted to ${content.length} bytes, expected ${content.length + 1}`,
    );
  });

  test("fails when the CRC differs", () => {
    const zip = write(zipOf("helm/helm", content, 0, { crc: 1 }));
    expect(() => readZipEntry(zip, "helm/helm")).toThrow(
      `${zip}: helm/helm fails its CRC-32 check`,
    );
  });

  test("fails on a file that is not a zip", () => {
    const zip = write(Buffer.alloc(100, 1));
    expect(() => readZipEntry(zip, "helm/helm")).toThrow(
      `${zip}: not a zip archive (no end of central directory record)`,
    );
  });
});
