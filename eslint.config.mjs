// @ts-check
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

/** Provider packages whose barrel (package root or lib/ index) loads every resource class. */
const PROVIDER_PACKAGES = [
  "@cdktf/provider-aws",
  "@cdktf/provider-kubernetes",
  "@cdktf/provider-helm",
];

export const noProviderBarrel = {
  paths: PROVIDER_PACKAGES.flatMap((name) => [name, `${name}/lib`, `${name}/lib/index`]).map(
    (name) => ({
      name,
      message: `Import the resource class by deep path (e.g. ${name.split("/lib")[0]}/lib/vpc): the barrel loads thousands of classes and costs seconds and gigabytes per synth.`,
    }),
  ),
};

export default tseslint.config(
  { ignores: ["node_modules/", "cdktf.out/", ".build/", "coverage/", "dist/", "docs/api/"] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        __dirname: "readonly",
        require: "readonly",
        module: "writable",
      },
    },
    rules: {
      "no-restricted-imports": ["error", noProviderBarrel],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    // plain CommonJS scripts that node runs without a build step (Helm post-renderers)
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { Buffer: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // CloudFront Functions code: a script whose top-level handler the runtime calls
    files: ["constructs/functions/*.js"],
    languageOptions: { sourceType: "script" },
    rules: { "@typescript-eslint/no-unused-vars": ["error", { varsIgnorePattern: "^handler$" }] },
  },
  {
    // tests edit raw YAML data of arbitrary shape
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
