// Package executorhttp is the http executor service: it will run http, http-download and send-message. No step is implemented yet: it starts, declares its NATS resources, reports healthy, and errors any job it gets with "step kind not registered". It is wiring: the job
// loop is pkg/executor's.
package executorhttp
