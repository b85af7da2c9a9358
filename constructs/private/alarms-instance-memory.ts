/**
 * Memory of common RDS instance classes, for alarm thresholds computed from memory (FreeableMemory,
 * max_connections). Not exhaustive: an unknown class needs an explicit `memoryGib`.
 */

const GIB = 1024 ** 3;

/** Burstable classes: memory per size. */
const BURSTABLE_GIB: Record<string, number> = {
  micro: 1,
  small: 2,
  medium: 4,
  large: 8,
  xlarge: 16,
  "2xlarge": 32,
};

/** vCPUs per size of the fixed-performance (m, r) families. */
const VCPUS: Record<string, number> = {
  large: 2,
  xlarge: 4,
  "2xlarge": 8,
  "4xlarge": 16,
  "8xlarge": 32,
  "12xlarge": 48,
  "16xlarge": 64,
  "24xlarge": 96,
  "32xlarge": 128,
};

/** GiB of memory per vCPU of the fixed-performance families. */
const GIB_PER_VCPU: Record<string, number> = {
  // general purpose: 4 GiB per vCPU
  m5: 4,
  m5d: 4,
  m6g: 4,
  m6gd: 4,
  m6i: 4,
  m6id: 4,
  m7g: 4,
  m7i: 4,
  m8g: 4,
  // memory optimized: 8 GiB per vCPU
  r5: 8,
  r5b: 8,
  r5d: 8,
  r6g: 8,
  r6gd: 8,
  r6i: 8,
  r6id: 8,
  r7g: 8,
  r7i: 8,
  r8g: 8,
};

/** The families the table knows, for messages. */
export const KNOWN_INSTANCE_FAMILIES: readonly string[] = [
  "t3",
  "t4g",
  ...Object.keys(GIB_PER_VCPU),
];

/** Memory in GiB of an RDS instance class such as `db.r6g.large`, or undefined when unknown. */
export function instanceMemoryGib(instanceClass: string): number | undefined {
  const match = /^db\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(instanceClass);
  if (!match) return undefined;
  const [, family, size] = match;
  if (family === "t3" || family === "t4g") return BURSTABLE_GIB[size];
  const perVcpu = GIB_PER_VCPU[family];
  const vcpus = VCPUS[size];
  return perVcpu !== undefined && vcpus !== undefined ? perVcpu * vcpus : undefined;
}

/** GiB to bytes. */
export function gibToBytes(gib: number): number {
  return gib * GIB;
}

/**
 * PostgreSQL's default `max_connections` on RDS: `LEAST({DBInstanceClassMemory/9531392}, 5000)`.
 * Computed from the class's nominal memory; RDS's DBInstanceClassMemory is slightly lower (memory
 * reserved for the OS and RDS), so the real limit is a little below this.
 */
export function postgresDefaultMaxConnections(memoryGib: number): number {
  return Math.min(Math.floor(gibToBytes(memoryGib) / 9531392), 5000);
}
