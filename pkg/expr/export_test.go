package expr

// Compiles returns how many expressions e has compiled, cache hits excluded.
func (e *Evaluator) Compiles() int64 { return e.compiles.Load() }
