// Package notify decides which EventRouters an event goes to and renders its messages
// (docs/resources.md#eventrouter). It is pure: the http executor reads the routers and
// delivers.
package notify
