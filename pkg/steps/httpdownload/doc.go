// Package httpdownload implements the http-download step: it downloads one URL to a file in
// the promotion workspace.
//
// Example:
//
//	steps:
//	- uses: http-download
//	  config:
//	    url: https://releases.example.com/app/${{ vars.version }}/manifests.tar.gz
//	    outPath: ./downloads/manifests.tar.gz
//	    headers:
//	    - name: Authorization
//	      value: Bearer ${{ secret('releases').token }}
//	    timeout: 2m
//
// The file is written atomically: the body goes to a temporary file beside outPath, which
// is renamed into place once complete, so outPath never holds half a download. Parent
// directories are created. An existing outPath fails the step (terminal) unless
// allowOverwrite is set; without it, the file is moved into place with a hard link, so a file
// created meanwhile is not overwritten either. outPath may not leave the workspace, also
// through a symlink (terminal).
//
// Outcome (docs/steps/http-download.md): a non-2xx response ⇒ Failed, retried up to retry.errorThreshold; a
// declared Content-Length over the limit (100 MiB, the http executor's
// --http-max-download-size) ⇒ Failed, terminal; a body that exceeds the limit while streaming ⇒
// Errored. timeout (default 5m) bounds the whole download. The request goes through the same
// client as the http step (httpstep.ClientOptions): the project's host allowlist, the redirect
// limit, the refusal of loopback, private and link-local addresses it does not name, and TLS verification against the operator's CAs unless
// insecureSkipTLSVerify is set. Messages name the URL's scheme and host only, never header or
// query values. No output.
package httpdownload
