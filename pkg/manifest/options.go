package manifest

// Option tunes Decode, DecodeFile and DecodeDir.
type Option func(*options)

type options struct {
	defaultProject string
}

// WithDefaultProject gives namespaced resources (Warehouse, Stage, Freight, Promotion,
// PromotionTask, ProjectConfig) that have no metadata.namespace the project p, the way kubectl
// applies -n. Default: none, and such resources are rejected.
func WithDefaultProject(p string) Option {
	return func(o *options) { o.defaultProject = p }
}
