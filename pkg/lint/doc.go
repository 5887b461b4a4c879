// Package lint checks promotion templates (a Stage's spec.promotionTemplate, PromotionTasks
// and ClusterPromotionTasks) before they run, and reports each problem as a Finding that
// names the file, resource, field path and step alias.
//
// Check finds what would otherwise make a step error at run time: unknown step kinds, config
// that cannot match the step's JSON Schema whatever its expressions evaluate to, expressions
// that do not compile, outputs and vars that nothing defines at the point where they are read
// (with tasks inflated as a Promotion would inflate them), task variables left without a
// value, and aliases that are duplicated or reserved.
package lint
