/** The package's version (kept equal to package.json's by a test; the policy pack's SARIF names it). */
export const PLATFORM_VERSION = "0.2.0";
