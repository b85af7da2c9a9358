// CloudFront Function (runtime cloudfront-js-2.0), viewer request of a StaticSite's default
// behaviour. S3 behind origin access control has no index documents: a request for "/docs/" asks
// for the object "docs/" and gets 403. This adds the index document the way AWS's example
// "Add index.html to request URLs without a file name" does:
//   - a URI ending in "/" gets "index.html" appended: /docs/ -> /docs/index.html;
//   - a URI without any "." (no file extension) gets "/index.html": /docs -> /docs/index.html.
// Everything else (/app.js, /v1.2/guide, /.well-known/security.txt) passes unchanged. Only the
// URI changes: method, headers, query string and cookies go to the origin as they came.
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.endsWith("/")) {
    request.uri = uri + "index.html";
  } else if (!uri.includes(".")) {
    request.uri = uri + "/index.html";
  }
  return request;
}
