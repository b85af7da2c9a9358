/**
 * Colours and traffic: the pure part of a blue/green app that the release tool shares with the
 * BlueGreenRelease construct (no cdktf or provider classes: the release tool loads this in
 * milliseconds).
 */

/** The two colours of a blue/green app, in the order they are always listed. */
export const COLOURS = ["blue", "green"] as const;

/** One of the two releases of an app. */
export type Colour = (typeof COLOURS)[number];

/** Name of the ALB action (and Ingress backend) that splits production traffic by weight. */
export const WEIGHTED_ACTION_NAME = "blue-green";

/** Name of the ALB action (and Ingress backend) that sends preview requests to the idle colour. */
export const PREVIEW_ACTION_NAME = "preview";

/** The release state fields that decide traffic. */
export interface TrafficState {
  /** The colour that serves production traffic. */
  readonly stable: Colour;
  /** Percentage (integer 0-100) of production traffic sent to the other (idle) colour. */
  readonly canaryWeight: number;
}

/** The colour that is not `stable`. */
export function otherColour(colour: Colour): Colour {
  return colour === "blue" ? "green" : "blue";
}

/** The Ingress annotation holding the weighted forward action (what a traffic shift changes). */
export const WEIGHTED_ACTION_ANNOTATION = `alb.ingress.kubernetes.io/actions.${WEIGHTED_ACTION_NAME}`;
/** The Ingress annotation holding the preview forward action (to the idle colour). */
export const PREVIEW_ACTION_ANNOTATION = `alb.ingress.kubernetes.io/actions.${PREVIEW_ACTION_NAME}`;

/**
 * The two Ingress annotations that carry traffic: the weighted action over both colours' ALB
 * Services (both always listed, weight 0 included: the idle colour stays registered and
 * health-checked, and a shift never creates or deletes a target group) and the preview action to
 * the idle colour. The release tool patches exactly these strings into the live Ingress for a
 * fast rollback, so the deploy that follows finds nothing to change.
 */
export function trafficAnnotations(
  name: string,
  servicePort: number,
  release: TrafficState,
): Record<string, string> {
  const weights = colourWeights(release);
  const targetGroup = (colour: Colour, weight: number) => ({
    serviceName: `${name}-${colour}-alb`,
    servicePort,
    weight,
  });
  const forward = (groups: ReturnType<typeof targetGroup>[]) =>
    JSON.stringify({ type: "forward", forwardConfig: { targetGroups: groups } });
  return {
    [WEIGHTED_ACTION_ANNOTATION]: forward(COLOURS.map((c) => targetGroup(c, weights[c]))),
    [PREVIEW_ACTION_ANNOTATION]: forward([targetGroup(otherColour(release.stable), 100)]),
  };
}

/** Traffic per colour: stable gets 100 - canaryWeight, the other colour canaryWeight. */
export function colourWeights(release: TrafficState): {
  blue: number;
  green: number;
} {
  const stableWeight = 100 - release.canaryWeight;
  return release.stable === "blue"
    ? { blue: stableWeight, green: release.canaryWeight }
    : { blue: release.canaryWeight, green: stableWeight };
}
