// Package executorcontainer is the container executor service: it runs CustomPromotionSteps
// (docs/resources.md#custompromotionstep) with runc. A job whose uses names no built-in step is looked up as the
// project's CustomPromotionStep (dray-resources key <project>.CustomPromotionStep.<name>,
// else the cluster-wide _cluster.CustomPromotionStep.<name>) and run by pkg/steps/customstep.
// It is wiring: the job loop is pkg/executor's.
//
// runc must be installed and the service must run as root. When runc is missing the service
// still starts, logs an error, and fails every custom step with a message that says so.
package executorcontainer
