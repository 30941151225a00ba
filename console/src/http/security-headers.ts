// The console's Content-Security-Policy, on every answer (pages, API answers, errors): scripts and
// connections only from the console's origin, no framing. Artifacts add `sandbox`: a file a runner
// wrote never runs as a document of the console's origin, even when opened in a tab of its own.
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
export const ARTIFACT_CONTENT_SECURITY_POLICY = `${CONTENT_SECURITY_POLICY}; sandbox`;
