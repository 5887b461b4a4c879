// Package customstep runs CustomPromotionSteps: a step kind registered as a resource names
// an OCI image and a command, and `uses: <name>` runs that command in a container (runc), in
// the promotion workspace, reading the step's outputs from what the command wrote.
//
// A CustomPromotionStep (docs/resources.md#custompromotionstep):
//
//	apiVersion: ee.kargo.akuity.io/v1alpha1
//	kind: CustomPromotionStep
//	metadata: {name: hello-world}
//	spec:
//	  image: ghcr.io/example/tools:1.4
//	  command: ["sh", "-c", "echo \"hello=${HELLO}-${{ config.world }}\" > $KARGO_OUTPUT"]
//	  env: [{name: HELLO, value: "${{ config.hello }}"}]
//	  output: {source: {type: Pipe}, format: KeyValue, transform: {message: output.hello}}
//	  defaultTimeout: 5m
//	  capabilities: [network]
//	  resources: {limits: {cpu: 500m, memory: 128Mi}}
//	  imagePullSecrets: [{name: ghcr-pull}]
//
// and a step that uses it:
//
//	steps:
//	- uses: hello-world
//	  as: hello
//	  config: {hello: Hello, world: World}
//
// How it runs:
//   - command and env values may hold ${{ }} expressions over config (the step's rendered
//     config) and ctx (project, stage, promotion, targetFreight.name/alias/origin.name,
//     meta.promotion.actor, meta.step.alias: the ctx of the step's config) only. An
//     expression that evaluates to nothing (a missing config key) fails the step.
//   - The image is pulled for linux/amd64 with the credentials of imagePullSecrets (Secrets of
//     the project), else with the project's image credentials for its repository, and kept
//     unpacked by digest (pkg/imagecache).
//   - The command runs as UID/GID 65532, with no capabilities, a read-only root, a seccomp
//     filter (no namespaces of its own, no mounts, tracing or kernel modules), its own mount,
//     PID, IPC, UTS and network namespaces, and the workspace mounted read-write at /workspace,
//     its working directory. Its network namespace holds loopback only: it reaches nothing
//     outside, this host's loopback services (gateway, NATS) included. The capability
//     "network" gives it the host's network, and only in the projects the operator grants
//     it to (executor-container --container-host-network PROJECT, or *); elsewhere the
//     step fails, terminal, reason NetworkNotGranted. resources.limits.memory and
//     resources.limits.cpu become cgroup limits where the host allows them.
//   - $KARGO_OUTPUT names an empty file the command may write its output to (source Pipe).
//   - The attempt is killed (SIGKILL) when the job's deadline passes, when spec.defaultTimeout
//     has passed since the attempt started, or when the promotion is aborted.
//
// Outcome: exit code 0 succeeds with the parsed outputs; another exit code is Failed and
// retried up to the error threshold (reason NonZeroExit); a killed attempt is Errored (reason
// TimedOut). The message keeps the last 16 KiB of stdout and of stderr.
package customstep
