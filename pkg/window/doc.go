// Package window evaluates promotion windows: given the windows that apply to a Stage and a
// time, it says whether Promotions may start, why not, and when that next changes
// (docs/resources.md, "Promotion windows"). It is pure: no clock, no bus.
package window
