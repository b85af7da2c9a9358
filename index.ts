/**
 * `@platform/aws-eks-platform`: the construct library (also at `./constructs`, the documented import
 * path) and the program that builds every environment's stacks from environment files.
 */
export * from "./constructs";
export { buildApp, type PlatformAppOptions } from "./stacks/app";
export { InfrastructureStack } from "./stacks/infrastructure-stack";
export { WorkloadsStack, type WorkloadsStackProps } from "./stacks/workloads-stack";
export type { PlatformStackProps } from "./stacks/settings";
export { loadEnvironments, parseEnvironment, EnvironmentConfigError } from "./config/load";
export type { EnvironmentConfig, AppConfig } from "./config/schema";
