/** The public API of the construct library. */
export * from "./types";
export * from "./kubernetes-versions";
export { EncryptionKey, type EncryptionKeyProps } from "./encryption-key";
export {
  Network,
  validateNetworkProps,
  INTERFACE_ENDPOINT_SERVICES,
  type NetworkProps,
  type InterfaceEndpointService,
  type SubnetPrefixLengths,
  type SubnetTier,
} from "./network";
export { ValidationError, type Problem } from "./private/validation";
export type { PolicyStatement } from "./private/iam";
export {
  KubernetesCluster,
  validateKubernetesClusterProps,
  MANAGED_ADDONS,
  CONTROL_PLANE_LOG_TYPES,
  type KubernetesClusterProps,
  type NodeGroupOptions,
  type ManagedAddon,
} from "./kubernetes-cluster";
export {
  ContainerRegistry,
  validateContainerRegistryProps,
  type ContainerRegistryProps,
} from "./container-registry";
export {
  Database,
  validateDatabaseProps,
  type DatabaseProps,
  type DatabaseValidationInput,
} from "./database";
export {
  BlueGreenRelease,
  validateBlueGreenReleaseProps,
  COLOURS,
  colourWeights,
  defaultColourValues,
  defaultColourSelector,
  type BlueGreenReleaseProps,
  type Colour,
  type ReleaseState,
  type ColourValuesFunction,
  type ColourSelectorFunction,
  type PreviewRoute,
  type HelmValues,
} from "./blue-green-release";
