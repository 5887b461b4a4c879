// Package scheduler is the scheduler service: it turns promote commands into Promotions and
// drives each Promotion's steps. It keeps no state of its own: on every promotion event it
// reads the recorded Promotion, asks promotion.Next what must happen, and does it — renders
// the next step's config and publishes its job, records a skipped or locally-run step, or
// records the final phase. Every job it publishes has a deterministic ID, so acting on one
// event twice is harmless. Which Freight auto-promotion picks, pkg/stage decides, and
// internal/autopromote carries it out; the steps the scheduler runs itself (set-metadata,
// set-freight-alias) it finds by name in internal/ownsteps, the human steps are decided in
// internal/human, and commands are checked and turned into records in internal/commands.
package scheduler
