/**
 * How a StaticSite answers paths that are not object keys: directory indexes through a CloudFront
 * Function (its shipped code run here in Node against CloudFront Functions events), and missing
 * keys, which S3 answers with 403 behind origin access control (no s3:ListBucket), as a 404 page.
 */
import { runInNewContext } from "node:vm";
import { StaticSite, type StaticSiteProps } from "../../constructs/static-site";
import {
  only,
  rejectionLines,
  resources,
  synth,
  TEST_AWS,
  testStack,
  usEast1Provider,
} from "../helpers";

function site(props: Partial<StaticSiteProps> = {}) {
  const stack = testStack();
  new StaticSite(stack, "site", {
    environment: TEST_AWS,
    usEast1Provider: usEast1Provider(stack),
    name: "prod-web",
    ...props,
  });
  return synth(stack);
}

interface CfRequest {
  method: string;
  uri: string;
  querystring: Record<string, { value: string; multiValue?: { value: string }[] }>;
  headers: Record<string, { value: string }>;
  cookies: Record<string, { value: string }>;
}

/** A viewer-request event as CloudFront Functions passes it (functions-event-structure.html). */
function viewerRequest(uri: string, querystring: CfRequest["querystring"] = {}) {
  return {
    version: "1.0",
    context: {
      distributionDomainName: "d111111abcdef8.cloudfront.net",
      distributionId: "EDFDVBD6EXAMPLE",
      eventType: "viewer-request",
      requestId: "EXAMPLEntjQpEXAMPLE_SG5Z-EXAMPLEPmPfEXAMPLEu3EqEXAMPLE==",
    },
    viewer: { ip: "198.51.100.11" },
    request: {
      method: "GET",
      uri,
      querystring,
      headers: { host: { value: "www.example.com" }, accept: { value: "text/html" } },
      cookies: { id: { value: "CookieIdValue" } },
    } as CfRequest,
  };
}

describe("StaticSite directory index function", () => {
  const json = site();
  const fn = only(json, "aws_cloudfront_function");
  /** The handler of the code exactly as synthesized, run in a fresh context like the runtime's. */
  const handler = runInNewContext(`${String(fn.code)}\n;handler`, {}) as (
    event: ReturnType<typeof viewerRequest>,
  ) => CfRequest;
  const rewrite = (uri: string) => handler(viewerRequest(uri)).uri;

  test("a cloudfront-js-2.0 function, published, on the default behaviour's viewer request", () => {
    expect(fn).toMatchObject({ name: "prod-web-directory-index", runtime: "cloudfront-js-2.0" });
    expect(fn.publish).toBe(true);
    const behaviour = only(json, "aws_cloudfront_distribution").default_cache_behavior as Record<
      string,
      unknown
    >;
    const name = Object.keys(resources(json, "aws_cloudfront_function"))[0];
    expect(behaviour.function_association).toEqual([
      { event_type: "viewer-request", function_arn: `\${aws_cloudfront_function.${name}.arn}` },
    ]);
  });

  test("a directory URI (trailing slash) is served from its index.html", () => {
    expect(rewrite("/docs/")).toBe("/docs/index.html");
    expect(rewrite("/docs/guide/")).toBe("/docs/guide/index.html");
    expect(rewrite("/")).toBe("/index.html");
  });

  test("a URI without a file extension is served from <uri>/index.html (AWS's documented rule)", () => {
    expect(rewrite("/docs")).toBe("/docs/index.html");
    expect(rewrite("/docs/guide")).toBe("/docs/guide/index.html");
  });

  test("a URI with a file name passes unchanged", () => {
    for (const uri of ["/index.html", "/app.js", "/img/logo.svg", "/.well-known/security.txt"])
      expect(rewrite(uri)).toBe(uri);
  });

  test("only the URI changes: method, query string, headers and cookies reach the origin as sent", () => {
    const event = viewerRequest("/docs/", {
      page: { value: "2" },
      tag: { value: "a", multiValue: [{ value: "a" }, { value: "b" }] },
    });
    const original = JSON.parse(JSON.stringify(event.request)) as CfRequest;
    expect(handler(event)).toEqual({ ...original, uri: "/docs/index.html" });
  });
});

describe("StaticSite missing keys", () => {
  test("403 (S3 via OAC, no ListBucket) and 404 answer /404.html with status 404, cached 60 s", () => {
    const distribution = only(site(), "aws_cloudfront_distribution");
    expect(distribution.custom_error_response).toEqual([
      {
        error_code: 403,
        response_code: 404,
        response_page_path: "/404.html",
        error_caching_min_ttl: 60,
      },
      {
        error_code: 404,
        response_code: 404,
        response_page_path: "/404.html",
        error_caching_min_ttl: 60,
      },
    ]);
  });

  test("errorDocument names another page", () => {
    const distribution = only(
      site({ errorDocument: "errors/not-found.html" }),
      "aws_cloudfront_distribution",
    );
    const pages = (distribution.custom_error_response as Record<string, unknown>[]).map(
      (r) => r.response_page_path,
    );
    expect(pages).toEqual(["/errors/not-found.html", "/errors/not-found.html"]);
  });

  test("fails when errorDocument is not an object key", () => {
    expect(rejectionLines(() => site({ errorDocument: "/404.html" }))).toEqual([
      'test/site: errorDocument: received "/404.html"; expected an object key of the content bucket such as 404.html or errors/404.html: no leading "/", no spaces, "?" or "#", at most 1024 characters',
    ]);
    expect(rejectionLines(() => site({ errorDocument: "" }))).toHaveLength(1);
    expect(rejectionLines(() => site({ errorDocument: "not found.html" }))).toHaveLength(1);
    expect(rejectionLines(() => site({ errorDocument: "404.html?x=1" }))).toHaveLength(1);
  });
});
