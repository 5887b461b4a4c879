// Package httpstep implements the http step: it sends one HTTP request and decides the
// step's outcome, and its outputs, from bare expressions over the response.
//
// Example, waiting for a deployment service to report a rollout done:
//
//	steps:
//	- uses: http
//	  as: rollout
//	  retry: {timeout: 10m}
//	  config:
//	    method: POST
//	    url: https://deploy.example.com/api/rollouts
//	    headers:
//	    - name: Authorization
//	      value: Bearer ${{ secret('deploy').token }}
//	    - name: Content-Type
//	      value: application/json
//	    body: ${{ quote({"stage": ctx.stage, "freight": ctx.targetFreight.name}) }}
//	    successExpression: response.status == 200 && response.body.state == 'done'
//	    failureExpression: response.status >= 500 || response.body.state == 'failed'
//	    errorExpression: response.body.reason
//	    pollInterval: 20s
//	    outputs:
//	    - name: rolloutID
//	      fromExpression: response.body.id
//
// The expressions see response: status (an int), headers (a map from canonical header name
// to its values), header(name) (the first value, "" when absent) and body. The body is parsed
// by its type (responseContentType forces one): JSON for application/json and +json types,
// YAML for application/yaml, text/yaml and application/x-yaml, a string for text/plain; a body
// of another type that is valid JSON is parsed as JSON; anything else, and an empty body, is
// {}.
//
// Outcome (docs/steps/http.md): failureExpression true ⇒ Failed, not retried, with the message
// `HTTP (<code>) response met failure criteria: "<errorExpression result>"`; else
// successExpression true ⇒ Succeeded, with the outputs; with neither expression, a 2xx ⇒
// Succeeded and any other status ⇒ Running (Kargo's "Failed without an error": asked again
// until retry.timeout ends it); any other combination ⇒ Running, asked again after
// pollInterval (default 30s). An expression that errs or does not yield a boolean ⇒ Errored.
//
// Limits, set by the operator in Options (the http executor's flags): the response body is at
// most 2 MiB, a request follows at most 10 redirects, and an optional per-project allowlist
// names the hosts a project may call, checked for the URL and every redirect. Connections to
// loopback, private (RFC 1918, fc00::/7), shared (100.64.0.0/10), unspecified and link-local
// (169.254.0.0/16, fe80::/10) addresses, IPv4-mapped forms included, are refused unless the
// allowlist names them (the address, a CIDR or the host name), checked on the address a name
// resolves to when dialling (reason PrivateAddressRefused or LinkLocalRefused), as are hosts
// outside the allowlist (HostNotAllowed); all are terminal (README.md, "Sandbox"). timeout (default 10s) bounds each request. Servers are
// verified against the operator's CAs (Options.RootCAs, default the system's) unless
// insecureSkipTLSVerify is set.
//
// Secrets: messages name the method and the URL's scheme and host only (paths and queries
// may hold tokens, as webhook URLs do), never header or query values, and Go's HTTP client
// drops Authorization and Cookie headers on a redirect to another domain.
//
// ClientOptions.Do, the request code with these limits, is shared with the http-download
// step.
package httpstep
