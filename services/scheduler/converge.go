package scheduler

import "time"

// DefaultResync is how often the scheduler evaluates auto-promotion in every project when
// nothing asks it to (internal/converge).
const DefaultResync = 5 * time.Minute
